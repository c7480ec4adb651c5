/** `util`: promisify, callbackify, inspect, format, types, deprecate, inherits and the rest packages reach for. */
import { deepEqual } from './deep-equal.ts';
import { format, formatWithOptions, inspect } from './inspect.ts';
import types from './util-types.ts';

type Callback = (error: unknown, ...values: unknown[]) => void;
type Fn = (...args: unknown[]) => unknown;

const kCustom = Symbol.for('nodejs.util.promisify.custom');

export function promisify(original: Fn): Fn {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  const own = (original as unknown as Record<symbol, unknown>)[kCustom];
  if (typeof own === 'function') return own as Fn;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (error: unknown, value: unknown) => (error ? reject(error) : resolve(value)));
    });
  };
  Object.setPrototypeOf(wrapped, Object.getPrototypeOf(original));
  Object.defineProperty(wrapped, kCustom, { value: wrapped });
  return Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original)) as Fn;
}
promisify.custom = kCustom;

export function callbackify(original: (...args: unknown[]) => Promise<unknown>): Fn {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  return function (this: unknown, ...args: unknown[]) {
    const cb = args.pop() as Callback;
    if (typeof cb !== 'function') throw new TypeError('The last argument must be of type function');
    original.apply(this, args).then(
      (v) => queueMicrotask(() => cb(null, v)),
      (e) => {
        const error = e ? e : Object.assign(new Error('Promise was rejected with a falsy value'), { reason: e });
        queueMicrotask(() => cb(error));
      },
    );
  };
}

const warned = new Set<string>();
export function deprecate<T extends Fn>(fn: T, message: string, code?: string): T {
  return function (this: unknown, ...args: unknown[]) {
    const key = code ?? message;
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`DeprecationWarning: ${message}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
  } as T;
}

export function inherits(ctor: Fn, superCtor: Fn): void {
  if (typeof ctor !== 'function' || typeof superCtor !== 'function' || superCtor.prototype === undefined) {
    throw new TypeError('The "ctor" and "superCtor" arguments must be functions with a prototype');
  }
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

export function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return deepEqual(a, b, true);
}

export function debuglog(_section: string): Fn & { enabled: boolean } {
  return Object.assign(() => undefined, { enabled: false });
}

export function stripVTControlCharacters(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*[A-Za-z]|\u009b[0-9;]*[A-Za-z]/g, '');
}

export function toUSVString(s: string): string {
  return String(s).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

export function getSystemErrorName(code: number): string {
  return `Unknown system error ${code}`;
}

export function aborted(signal: AbortSignal, _resource: unknown): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

export const isArray = Array.isArray;
export const isBoolean = (v: unknown): boolean => typeof v === 'boolean';
export const isNull = (v: unknown): boolean => v === null;
export const isNullOrUndefined = (v: unknown): boolean => v === null || v === undefined;
export const isNumber = (v: unknown): boolean => typeof v === 'number';
export const isString = (v: unknown): boolean => typeof v === 'string';
export const isSymbol = (v: unknown): boolean => typeof v === 'symbol';
export const isUndefined = (v: unknown): boolean => v === undefined;
export const isRegExp = types.isRegExp;
export const isObject = (v: unknown): boolean => v !== null && typeof v === 'object';
export const isDate = types.isDate;
export const isError = types.isNativeError;
export const isFunction = (v: unknown): boolean => typeof v === 'function';
export const isPrimitive = (v: unknown): boolean => v === null || (typeof v !== 'object' && typeof v !== 'function');

export const TextEncoder = globalThis.TextEncoder;
export const TextDecoder = globalThis.TextDecoder;
export { format, formatWithOptions, inspect, types };

export default {
  promisify, callbackify, deprecate, inherits, isDeepStrictEqual, debuglog, debug: debuglog, stripVTControlCharacters, toUSVString,
  getSystemErrorName, aborted, format, formatWithOptions, inspect, types, TextEncoder, TextDecoder, isArray, isBoolean, isNull,
  isNullOrUndefined, isNumber, isString, isSymbol, isUndefined, isRegExp, isObject, isDate, isError, isFunction, isPrimitive,
};
