/** A small util.inspect: enough to make console output of objects readable. */

const MAX_ITEMS = 100;
const MAX_STRING = 10_000;

function quote(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
}

function key(k: string | symbol): string {
  if (typeof k === 'symbol') return '[' + String(k) + ']';
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k);
}

function className(value: object): string {
  try {
    const proto = Object.getPrototypeOf(value);
    if (proto === null) return '[Object: null prototype]';
    const ctor = proto.constructor;
    return typeof ctor === 'function' && typeof ctor.name === 'string' ? ctor.name : '';
  } catch {
    return '';
  }
}

export function inspect(value: unknown, depth = 2, seen: unknown[] = []): string {
  switch (typeof value) {
    case 'string':
      return quote(value.length > MAX_STRING ? value.slice(0, MAX_STRING) + '…' : value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return String(value) + 'n';
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function': {
      const name = (value as { name?: string }).name;
      const isClass = /^class[\s{]/.test(Function.prototype.toString.call(value));
      return `[${isClass ? 'class' : 'Function'}${name ? (isClass ? ' ' : ': ') + name : isClass ? ' (anonymous)' : ' (anonymous)'}]`;
    }
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (seen.includes(obj)) return '[Circular *]';
  try {
    if (obj instanceof Error) {
      const stack = typeof obj.stack === 'string' ? obj.stack : `${obj.name}: ${obj.message}`;
      const cause = (obj as { cause?: unknown }).cause;
      return cause === undefined || depth < 0 ? stack : stack + ' {\n  [cause]: ' + inspect(cause, depth - 1, [...seen, obj]) + '\n}';
    }
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof RegExp) return String(obj);
    if (obj instanceof Promise) return 'Promise { <pending> }';
    if (obj instanceof WeakMap || obj instanceof WeakSet) return `${className(obj)} { <items unknown> }`;
    const name = className(obj);
    const inner = [...seen, obj];
    if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
      const arr = obj as unknown as ArrayLike<number | bigint>;
      const items: string[] = [];
      for (let i = 0; i < Math.min(arr.length, MAX_ITEMS); i++) items.push(inspect(arr[i], depth - 1, inner));
      if (arr.length > MAX_ITEMS) items.push(`... ${arr.length - MAX_ITEMS} more items`);
      return `${name}(${arr.length}) [ ${items.join(', ')} ]`;
    }
    if (obj instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${obj.byteLength} }`;
    if (depth < 0) return Array.isArray(obj) ? '[Array]' : `[${name || 'Object'}]`;
    if (obj instanceof Map) {
      const items: string[] = [];
      for (const [k, v] of obj) {
        if (items.length >= MAX_ITEMS) break;
        items.push(`${inspect(k, depth - 1, inner)} => ${inspect(v, depth - 1, inner)}`);
      }
      return `Map(${obj.size}) {${items.length ? ' ' + items.join(', ') + ' ' : ''}}`;
    }
    if (obj instanceof Set) {
      const items: string[] = [];
      for (const v of obj) {
        if (items.length >= MAX_ITEMS) break;
        items.push(inspect(v, depth - 1, inner));
      }
      return `Set(${obj.size}) {${items.length ? ' ' + items.join(', ') + ' ' : ''}}`;
    }
    if (Array.isArray(obj)) {
      const items: string[] = [];
      for (let i = 0; i < Math.min(obj.length, MAX_ITEMS); i++) items.push(i in obj ? inspect(obj[i], depth - 1, inner) : '<empty>');
      if (obj.length > MAX_ITEMS) items.push(`... ${obj.length - MAX_ITEMS} more items`);
      return items.length ? `[ ${items.join(', ')} ]` : '[]';
    }
    const items: string[] = [];
    const keys = Reflect.ownKeys(obj).filter((k) => Object.prototype.propertyIsEnumerable.call(obj, k));
    for (const k of keys.slice(0, MAX_ITEMS)) {
      const desc = Object.getOwnPropertyDescriptor(obj, k);
      const shown = desc && 'value' in desc ? inspect(desc.value, depth - 1, inner) : '[Getter/Setter]';
      items.push(`${key(k)}: ${shown}`);
    }
    if (keys.length > MAX_ITEMS) items.push(`... ${keys.length - MAX_ITEMS} more items`);
    const prefix = name === 'Object' ? '' : (name || 'Object') + ' ';
    return items.length ? `${prefix}{ ${items.join(', ')} }` : `${prefix}{}`;
  } catch {
    return '[object]';
  }
}

/** console.log's formatting: printf-like %s %d %i %f %j %o %O %c %% in a leading string, then the rest. */
export function format(args: readonly unknown[]): string {
  if (args.length === 0) return '';
  let out = '';
  let rest = 0;
  const first = args[0];
  if (typeof first === 'string') {
    rest = 1;
    let last = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue; // %
      const c = first[i + 1];
      if (c === '%') {
        out += first.slice(last, i) + '%';
        last = i + 2;
        i++;
        continue;
      }
      if (!'sdifjoOc'.includes(c) || rest >= args.length) continue;
      const a = args[rest++];
      let s: string;
      if (c === 's') s = typeof a === 'string' ? a : typeof a === 'object' && a !== null ? inspect(a, 1) : String(a);
      else if (c === 'd' || c === 'i') s = typeof a === 'bigint' ? a + 'n' : String(c === 'i' ? parseInt(String(a)) : Number(a));
      else if (c === 'f') s = String(parseFloat(String(a)));
      else if (c === 'j') {
        try {
          s = JSON.stringify(a);
        } catch {
          s = '[Circular]';
        }
      } else if (c === 'c') s = '';
      else s = inspect(a, c === 'o' ? 4 : 2);
      out += first.slice(last, i) + s;
      last = i + 2;
      i++;
    }
    out += first.slice(last);
  }
  for (let i = rest; i < args.length; i++) {
    const a = args[i];
    out += (out.length > 0 || i > 0 ? ' ' : '') + (typeof a === 'string' ? a : inspect(a));
  }
  return out;
}
