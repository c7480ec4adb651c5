/** `util.inspect` and `util.format`, following Node's output for the common shapes. */
export const custom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

export interface InspectOptions {
  depth?: number | null;
  breakLength?: number;
  compact?: boolean | number;
  sorted?: boolean;
  showHidden?: boolean;
  customInspect?: boolean;
  colors?: boolean;
  maxArrayLength?: number | null;
  maxStringLength?: number | null;
}

interface Ctx {
  depth: number;
  showHidden: boolean;
  breakLength: number;
  sorted: boolean;
  customInspect: boolean;
  maxArrayLength: number;
  maxStringLength: number;
  seen: unknown[];
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function quote(s: string): string {
  const q = !s.includes("'") ? "'" : !s.includes('"') ? '"' : !s.includes('`') ? '`' : "'";
  const escaped = s.replace(/[\\\n\r\t\b\f\v]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' })[c]!);
  return q + (q === "'" ? escaped.replace(/'/g, "\\'") : escaped) + q;
}

function keyText(k: string | symbol): string {
  if (typeof k === 'symbol') return `[${k.toString()}]`;
  return IDENT.test(k) ? k : quote(k);
}

function ctorName(v: object): string | null {
  let proto = Object.getPrototypeOf(v);
  if (proto === null) return null;
  while (proto !== null) {
    const d = Object.getOwnPropertyDescriptor(proto, 'constructor');
    if (d !== undefined && typeof d.value === 'function' && d.value.name !== '') return d.value.name as string;
    proto = Object.getPrototypeOf(proto);
  }
  return '';
}

function join(open: string, parts: string[], close: string, ctx: Ctx, level: number): string {
  if (parts.length === 0) return `${open}${close}`;
  const flat = `${open} ${parts.join(', ')} ${close}`;
  if (flat.length + level * 2 <= ctx.breakLength && !parts.some((p) => p.includes('\n'))) return flat;
  const pad = '  '.repeat(level + 1);
  return `${open}\n${pad}${parts.map((p) => p.replace(/\n/g, `\n${pad}`)).join(`,\n${pad}`)}\n${'  '.repeat(level)}${close}`;
}

function fnText(f: (...a: unknown[]) => unknown): string {
  const src = Function.prototype.toString.call(f);
  if (src.startsWith('class')) return `[class ${f.name || '(anonymous)'}]`;
  const kind = f.constructor?.name === 'AsyncFunction' ? 'AsyncFunction' : f.constructor?.name === 'GeneratorFunction' ? 'GeneratorFunction' : 'Function';
  return f.name ? `[${kind}: ${f.name}]` : `[${kind} (anonymous)]`;
}

function ownEntries(v: object, ctx: Ctx, level: number, skipIndices: boolean): string[] {
  let keys: Array<string | symbol> = Object.keys(v);
  if (skipIndices) keys = keys.filter((k) => !/^\d+$/.test(k as string));
  keys.push(...Object.getOwnPropertySymbols(v).filter((s) => Object.getOwnPropertyDescriptor(v, s)?.enumerable));
  if (ctx.sorted) keys.sort((a, b) => String(a).localeCompare(String(b)));
  return keys.map((k) => {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    const val = d.get ? (d.set ? '[Getter/Setter]' : '[Getter]') : d.set ? '[Setter]' : format1(d.value, ctx, level + 1);
    return `${keyText(k)}: ${val}`;
  });
}

function format1(v: unknown, ctx: Ctx, level: number): string {
  switch (typeof v) {
    case 'string':
      return quote(v.length > ctx.maxStringLength ? v.slice(0, ctx.maxStringLength) + `'... ${v.length - ctx.maxStringLength} more characters` : v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'symbol':
      return v.toString();
    case 'function':
      return formatObject(v, ctx, level, fnText(v as (...a: unknown[]) => unknown));
    default:
      if (v === null) return 'null';
      return formatObject(v as object, ctx, level, null);
  }
}

function formatObject(v: object, ctx: Ctx, level: number, fnHead: string | null): string {
  if (ctx.seen.includes(v)) return '[Circular *1]';
  const customFn = ctx.customInspect ? (v as Record<symbol, unknown>)[custom] : undefined;
  if (typeof customFn === 'function' && customFn !== inspect) {
    const r = (customFn as (d: number, o: unknown, i: unknown) => unknown).call(v, ctx.depth - level, { ...ctx, stylize: (s: string) => s }, inspect);
    return typeof r === 'string' ? r : format1(r, ctx, level);
  }
  const name = ctorName(v);
  const prefix = (base: string) => (name === null ? `[${base}: null prototype] ` : name !== base ? `${name || base} ` : '');
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (v instanceof Error) {
    const stack = typeof v.stack === 'string' && v.stack !== '' ? v.stack : `${v.name}: ${v.message}`;
    const extra = ownEntries(v, ctx, level, false).filter((e) => !e.startsWith('stack:') && !e.startsWith('message:'));
    return extra.length === 0 ? stack : `${stack} ${join('{', extra, '}', ctx, level)}`;
  }
  if (fnHead !== null && Object.keys(v).length === 0) return fnHead;
  if (level > ctx.depth) {
    if (Array.isArray(v)) return '[Array]';
    return `[${name || 'Object'}]`;
  }
  ctx.seen.push(v);
  try {
    if (Array.isArray(v)) {
      const parts: string[] = [];
      const n = Math.min(v.length, ctx.maxArrayLength);
      for (let i = 0; i < n; i++) parts.push(i in v ? format1(v[i], ctx, level + 1) : '<1 empty item>');
      if (v.length > n) parts.push(`... ${v.length - n} more items`);
      parts.push(...ownEntries(v, ctx, level, true));
      if (ctx.showHidden) parts.push(`[length]: ${v.length}`);
      return (name === 'Array' ? '' : `${name ?? '[Array: null prototype]'}(${v.length}) `) + join('[', parts, ']', ctx, level);
    }
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const arr = v as unknown as ArrayLike<number | bigint>;
      const parts = Array.from({ length: Math.min(arr.length, ctx.maxArrayLength) }, (_, i) => format1(arr[i], ctx, level + 1));
      if (arr.length > ctx.maxArrayLength) parts.push(`... ${arr.length - ctx.maxArrayLength} more items`);
      return `${name}(${arr.length}) ${join('[', parts, ']', ctx, level)}`;
    }
    if (v instanceof Map) {
      const parts = [...v].map(([k, val]) => `${format1(k, ctx, level + 1)} => ${format1(val, ctx, level + 1)}`);
      return `${name || 'Map'}(${v.size}) ${join('{', [...parts, ...ownEntries(v, ctx, level, false)], '}', ctx, level)}`;
    }
    if (v instanceof Set) {
      const parts = [...v].map((k) => format1(k, ctx, level + 1));
      return `${name || 'Set'}(${v.size}) ${join('{', [...parts, ...ownEntries(v, ctx, level, false)], '}', ctx, level)}`;
    }
    if (v instanceof Promise) return `Promise { <unknown> }`;
    if (v instanceof ArrayBuffer) {
      const bytes = [...new Uint8Array(v, 0, Math.min(v.byteLength, 50))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      return `ArrayBuffer { [Uint8Contents]: <${bytes}${v.byteLength > 50 ? ` ... ${v.byteLength - 50} more bytes` : ''}>, byteLength: ${v.byteLength} }`;
    }
    const entries = ownEntries(v, ctx, level, false);
    if (fnHead !== null) return join(`${fnHead} {`, entries, '}', ctx, level).replace(/^(\[.*?\]) \{ /, '$1 { ');
    const tagValue = (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
    const head = prefix('Object') + (typeof tagValue === 'string' && tagValue !== name ? `[${tagValue}] ` : '');
    return head + join('{', entries, '}', ctx, level);
  } finally {
    ctx.seen.pop();
  }
}

export function inspect(value: unknown, opts?: InspectOptions | boolean, depthArg?: number): string {
  const o: InspectOptions = typeof opts === 'object' && opts !== null ? opts : { showHidden: Boolean(opts), ...(depthArg !== undefined ? { depth: depthArg } : {}) };
  const depth = o.depth === null ? Infinity : o.depth ?? 2;
  return format1(value, {
    depth,
    showHidden: o.showHidden === true,
    breakLength: o.breakLength ?? 80,
    sorted: o.sorted === true,
    customInspect: o.customInspect !== false,
    maxArrayLength: o.maxArrayLength === null ? Infinity : o.maxArrayLength ?? 100,
    maxStringLength: o.maxStringLength === null ? Infinity : o.maxStringLength ?? 10000,
    seen: [],
  }, 0);
}
inspect.custom = custom;
inspect.defaultOptions = { depth: 2, breakLength: 80 };

/** `util.format`: printf-style %s %d %i %f %j %o %O %c %%, the rest inspected and joined by spaces. */
export function format(fmt?: unknown, ...args: unknown[]): string {
  return formatWithOptions({}, fmt, ...args);
}

export function formatWithOptions(opts: InspectOptions, fmt?: unknown, ...args: unknown[]): string {
  const show = (v: unknown) => (typeof v === 'string' ? v : inspect(v, opts));
  if (typeof fmt !== 'string') return [fmt, ...args].map(show).join(' ');
  let i = 0;
  let out = fmt.replace(/%[sdifjoOc%]/g, (m) => {
    if (m === '%%') return '%';
    if (i >= args.length) return m;
    const a = args[i++];
    switch (m) {
      case '%s':
        return typeof a === 'string' ? a : typeof a === 'bigint' ? `${a}n` : typeof a === 'object' && a !== null ? inspect(a, { ...opts, depth: 0 }) : String(a);
      case '%d':
        return typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' ? 'NaN' : String(Number(a));
      case '%i':
        return typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' ? 'NaN' : String(parseInt(String(a), 10));
      case '%f':
        return typeof a === 'symbol' ? 'NaN' : String(parseFloat(String(a)));
      case '%j':
        try {
          return JSON.stringify(a) ?? 'undefined';
        } catch {
          return '[Circular]';
        }
      case '%o':
        return inspect(a, { ...opts, showHidden: true, depth: 4 });
      case '%O':
        return inspect(a, opts);
      default:
        return '';
    }
  });
  for (; i < args.length; i++) out += ' ' + show(args[i]);
  return out;
}
