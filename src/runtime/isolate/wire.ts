/** Host-side conversions between port data and the shim's wire forms. */
import { isAscii } from 'node:buffer';
import { escapeRegExp } from '../../core/regexp.ts';
import { HEADER_SEP } from './protocol.ts';
import { SHIM_FILENAME } from './shim-source.ts';

export function joinHeaders(headers: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (let i = 0; i < headers.length; i++) {
    const [n, v] = headers[i];
    out += (i === 0 ? '' : HEADER_SEP) + n + HEADER_SEP + v;
  }
  return out;
}

export function splitHeaders(wire: unknown): Array<[string, string]> {
  if (typeof wire !== 'string' || wire === '') return [];
  const parts = wire.split(HEADER_SEP);
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([parts[i], parts[i + 1]]);
  return out;
}

/** An ArrayBuffer holding exactly these bytes (Node's Buffers are often views into a pool). */
export function exactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/**
 * A request body as the shim takes it: ASCII-only bytes (JSON, forms, most text) as a
 * one-byte string, which crosses into the isolate as a copy of its bytes and is already the
 * body's text there (for ASCII the UTF-8 bytes are the characters), so `text()` and `json()`
 * decode nothing and `arrayBuffer()` gets the same bytes back; any other body as its bytes.
 */
export function requestBody(bytes: Uint8Array): string | ArrayBuffer {
  if (bytes.byteLength > 0 && isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return exactArrayBuffer(bytes);
}

export function bodyBytes(body: unknown): Uint8Array {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return new Uint8Array(0);
}

/** Line and column of the first stack frame in `filename`, or of a "[file:line:col]" syntax error. */
export function locate(stackOrMessage: string, filename: string): { line: number | null; column: number | null } {
  const m = new RegExp(`${escapeRegExp(filename)}:(\\d+):(\\d+)`).exec(stackOrMessage);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : { line: null, column: null };
}

/**
 * A function error's stack without the frames of the runtime's own shim (the code that
 * called the function): they say nothing about the function and everything about us.
 */
export function withoutShimFrames(stack: string): string {
  const lines = stack.split('\n');
  const kept = lines.filter((line) => !(/^\s+at /.test(line) && line.includes(`${SHIM_FILENAME}:`)));
  return kept.length === lines.length ? stack : kept.join('\n');
}
