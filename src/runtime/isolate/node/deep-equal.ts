/** Node's deep equality (assert.deepStrictEqual / deepEqual, util.isDeepStrictEqual). */
function tag(v: object): string {
  return Object.prototype.toString.call(v);
}

export function deepEqual(a: unknown, b: unknown, strict: boolean, memo: Array<[unknown, unknown]> = []): boolean {
  if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return !strict && (typeof a !== 'object' || a === null) && (typeof b !== 'object' || b === null) ? a == b : false;
  }
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tag(a) !== tag(b)) return false;
  for (const [x, y] of memo) if (x === a && y === b) return true;
  memo.push([a, b]);
  try {
    if (a instanceof Date) return a.getTime() === (b as Date).getTime() && keysEqual(a, b, strict, memo);
    if (a instanceof RegExp) return String(a) === String(b) && a.lastIndex === (b as RegExp).lastIndex;
    if (a instanceof Error && (a.message !== (b as Error).message || a.name !== (b as Error).name)) return false;
    if (ArrayBuffer.isView(a)) {
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const y = new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength);
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
      return keysEqual(a, b, strict, memo, true);
    }
    if (a instanceof ArrayBuffer) return deepEqual(new Uint8Array(a), new Uint8Array(b as ArrayBuffer), strict, memo);
    if (isBoxed(a)) return Object.is((a as { valueOf(): unknown }).valueOf(), (b as { valueOf(): unknown }).valueOf());
    if (a instanceof Set) {
      const other = b as Set<unknown>;
      if (a.size !== other.size) return false;
      outer: for (const x of a) {
        if (other.has(x)) continue;
        if (typeof x !== 'object' || x === null) {
          if (strict) return false;
        }
        for (const y of other) if (deepEqual(x, y, strict, memo)) continue outer;
        return false;
      }
      return keysEqual(a, b, strict, memo);
    }
    if (a instanceof Map) {
      const other = b as Map<unknown, unknown>;
      if (a.size !== other.size) return false;
      outer: for (const [k, v] of a) {
        if (other.has(k)) {
          if (!deepEqual(v, other.get(k), strict, memo)) return false;
          continue;
        }
        for (const [k2, v2] of other) if (deepEqual(k, k2, strict, memo) && deepEqual(v, v2, strict, memo)) continue outer;
        return false;
      }
      return keysEqual(a, b, strict, memo);
    }
    if (Array.isArray(a) && a.length !== (b as unknown[]).length) return false;
    return keysEqual(a, b, strict, memo);
  } finally {
    memo.pop();
  }
}

function isBoxed(v: object): boolean {
  return v instanceof Number || v instanceof String || v instanceof Boolean || (typeof BigInt !== 'undefined' && tag(v) === '[object BigInt]') || tag(v) === '[object Symbol]';
}

function keysEqual(a: object, b: object, strict: boolean, memo: Array<[unknown, unknown]>, skipIndices = false): boolean {
  const own = (o: object): Array<string | symbol> => {
    const keys: Array<string | symbol> = Object.keys(o).filter((k) => !(skipIndices && /^\d+$/.test(k)));
    if (strict) keys.push(...Object.getOwnPropertySymbols(o).filter((s) => Object.prototype.propertyIsEnumerable.call(o, s)));
    return keys;
  };
  const ka = own(a);
  const kb = own(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.propertyIsEnumerable.call(b, k)) return false;
    if (!deepEqual((a as Record<string | symbol, unknown>)[k], (b as Record<string | symbol, unknown>)[k], strict, memo)) return false;
  }
  return true;
}
