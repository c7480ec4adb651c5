/** `util/types`: type checks by the engine's own tags (no native help needed). */
const tag = (v: unknown): string => Object.prototype.toString.call(v).slice(8, -1);
const isObj = (v: unknown): v is object => (typeof v === 'object' && v !== null) || typeof v === 'function';
const tagged = (name: string) => (v: unknown): boolean => isObj(v) && tag(v) === name;
const typed = (name: string) => (v: unknown): boolean => ArrayBuffer.isView(v) && tag(v) === name;

const TypedArray = Object.getPrototypeOf(Uint8Array) as { prototype: object };
const AsyncFunction = (async () => undefined).constructor;
const GeneratorFunction = function* () {}.constructor;
const AsyncGeneratorFunction = async function* () {}.constructor;

export const isDate = tagged('Date');
export const isRegExp = tagged('RegExp');
export const isMap = tagged('Map');
export const isSet = tagged('Set');
export const isWeakMap = tagged('WeakMap');
export const isWeakSet = tagged('WeakSet');
export const isPromise = tagged('Promise');
export const isArrayBuffer = tagged('ArrayBuffer');
export const isSharedArrayBuffer = tagged('SharedArrayBuffer');
export const isAnyArrayBuffer = (v: unknown): boolean => isArrayBuffer(v) || isSharedArrayBuffer(v);
export const isDataView = tagged('DataView');
export const isMapIterator = tagged('Map Iterator');
export const isSetIterator = tagged('Set Iterator');
export const isGeneratorObject = tagged('Generator');
export const isModuleNamespaceObject = tagged('Module');
export const isArrayBufferView = (v: unknown): boolean => ArrayBuffer.isView(v);
export const isTypedArray = (v: unknown): boolean => isObj(v) && v instanceof (TypedArray as unknown as new () => object);
export const isUint8Array = typed('Uint8Array');
export const isUint8ClampedArray = typed('Uint8ClampedArray');
export const isUint16Array = typed('Uint16Array');
export const isUint32Array = typed('Uint32Array');
export const isInt8Array = typed('Int8Array');
export const isInt16Array = typed('Int16Array');
export const isInt32Array = typed('Int32Array');
export const isFloat32Array = typed('Float32Array');
export const isFloat64Array = typed('Float64Array');
export const isBigInt64Array = typed('BigInt64Array');
export const isBigUint64Array = typed('BigUint64Array');
export const isAsyncFunction = (v: unknown): boolean => typeof v === 'function' && (v instanceof AsyncFunction || v instanceof AsyncGeneratorFunction);
export const isGeneratorFunction = (v: unknown): boolean => typeof v === 'function' && (v instanceof GeneratorFunction || v instanceof AsyncGeneratorFunction);
export const isNativeError = (v: unknown): boolean => v instanceof Error || tagged('Error')(v);
export const isNumberObject = (v: unknown): boolean => isObj(v) && tag(v) === 'Number';
export const isStringObject = (v: unknown): boolean => isObj(v) && tag(v) === 'String';
export const isBooleanObject = (v: unknown): boolean => isObj(v) && tag(v) === 'Boolean';
export const isBigIntObject = (v: unknown): boolean => isObj(v) && tag(v) === 'BigInt';
export const isSymbolObject = (v: unknown): boolean => isObj(v) && tag(v) === 'Symbol';
export const isBoxedPrimitive = (v: unknown): boolean =>
  isNumberObject(v) || isStringObject(v) || isBooleanObject(v) || isBigIntObject(v) || isSymbolObject(v);
export const isArgumentsObject = tagged('Arguments');
/** A Proxy cannot be told apart from inside the engine's JavaScript. */
export const isProxy = (_v: unknown): boolean => false;
export const isExternal = (_v: unknown): boolean => false;
export const isKeyObject = (v: unknown): boolean => isObj(v) && tag(v) === 'KeyObject';
export const isCryptoKey = (v: unknown): boolean => isObj(v) && tag(v) === 'CryptoKey';

export default {
  isDate, isRegExp, isMap, isSet, isWeakMap, isWeakSet, isPromise, isArrayBuffer, isSharedArrayBuffer, isAnyArrayBuffer,
  isDataView, isMapIterator, isSetIterator, isGeneratorObject, isModuleNamespaceObject, isArrayBufferView, isTypedArray,
  isUint8Array, isUint8ClampedArray, isUint16Array, isUint32Array, isInt8Array, isInt16Array, isInt32Array, isFloat32Array,
  isFloat64Array, isBigInt64Array, isBigUint64Array, isAsyncFunction, isGeneratorFunction, isNativeError, isNumberObject,
  isStringObject, isBooleanObject, isBigIntObject, isSymbolObject, isBoxedPrimitive, isArgumentsObject, isProxy, isExternal,
  isKeyObject, isCryptoKey,
};
