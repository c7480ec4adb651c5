/** `querystring`: Node's legacy query string parse and stringify. */
type Value = string | number | boolean | bigint | null | undefined;
type Input = Record<string, Value | readonly Value[]>;

export function unescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

export function escape(s: string): string {
  return encodeURIComponent(s);
}

function primitive(v: Value): string {
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return '';
}

export function stringify(obj: Input | null | undefined, sep = '&', eq = '=', options?: { encodeURIComponent?: (s: string) => string }): string {
  if (obj === null || typeof obj !== 'object') return '';
  const enc = options?.encodeURIComponent ?? escape;
  const parts: string[] = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const key = enc(k) + eq;
    if (Array.isArray(v)) for (const item of v) parts.push(key + enc(primitive(item as Value)));
    else parts.push(key + enc(primitive(v as Value)));
  }
  return parts.join(sep);
}

export function parse(str: string, sep = '&', eq = '=', options?: { maxKeys?: number; decodeURIComponent?: (s: string) => string }): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  if (typeof str !== 'string' || str.length === 0) return out;
  const dec = options?.decodeURIComponent ?? unescape;
  const max = options?.maxKeys ?? 1000;
  let pieces = str.split(sep);
  if (max > 0) pieces = pieces.slice(0, max);
  for (const piece of pieces) {
    if (piece === '') continue;
    const at = piece.indexOf(eq);
    const rawKey = at >= 0 ? piece.slice(0, at) : piece;
    const rawVal = at >= 0 ? piece.slice(at + eq.length) : '';
    const k = dec(rawKey.replace(/\+/g, ' '));
    const v = dec(rawVal.replace(/\+/g, ' '));
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

export const decode = parse;
export const encode = stringify;
export default { parse, stringify, decode, encode, escape, unescape };
