/**
 * Rewrites a wasm binary before V8 compiles it, so that its memories stay within the
 * function's memory limit: each memory the module defines gets a maximum of at most
 * `capPages`, and is also exported under a hidden name, so the shim can see how big it
 * has grown (wasm code grows memory without asking JavaScript). Anything that does not
 * parse is passed through unchanged, for V8 to reject with its own CompileError.
 */

export const HIDDEN_EXPORT = '__nimbus_memory_';

export interface Limited {
  readonly bytes: Uint8Array;
  /** Bytes the module's own memories take when instantiated. */
  readonly minBytes: number;
}

export const PAGE = 65536;

class Malformed extends Error {}

/** A binary this runtime will not run (the caller turns it into a CompileError). */
export class Unsupported extends Error {}

function readU32(b: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (at >= b.length) throw new Malformed();
    const byte = b[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
  throw new Malformed();
}

function u32(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Skips a name (length-prefixed bytes). */
function skipName(b: Uint8Array, at: number): number {
  const [len, p] = readU32(b, at);
  return p + len;
}

function skipLimits(b: Uint8Array, at: number): number {
  const flags = b[at];
  let p = readU32(b, at + 1)[1];
  if (flags & 1) p = readU32(b, p)[1];
  return p;
}

function importedMemories(b: Uint8Array, start: number): number {
  let [count, p] = readU32(b, start);
  let memories = 0;
  while (count-- > 0) {
    p = skipName(b, skipName(b, p));
    const kind = b[p++];
    if (kind === 0) p = readU32(b, p)[1];
    else if (kind === 1) p = skipLimits(b, p + 1);
    else if (kind === 2) {
      memories++;
      p = skipLimits(b, p);
    } else if (kind === 3) p += 2;
    else if (kind === 4) p = readU32(b, p + 1)[1];
    else throw new Malformed();
  }
  return memories;
}

/** The memory section with every maximum capped; throws on memory64. */
function capSection(b: Uint8Array, start: number, capPages: number): { payload: number[]; count: number; minPages: number } {
  let [count, p] = readU32(b, start);
  const payload = u32(count);
  let minPages = 0;
  for (let i = 0; i < count; i++) {
    const flags = b[p];
    if (flags & 4) throw new Unsupported('64-bit wasm memories are not supported');
    const [min, p1] = readU32(b, p + 1);
    let newMax = Math.max(capPages, min);
    p = p1;
    if (flags & 1) {
      const [declared, p2] = readU32(b, p);
      // a maximum below the minimum is left for V8 to reject
      newMax = declared < min ? declared : Math.max(Math.min(declared, capPages), min);
      p = p2;
    }
    minPages += min;
    payload.push(flags | 1, ...u32(min), ...u32(newMax));
  }
  return { payload, count, minPages };
}

interface Section {
  id: number;
  start: number; // payload start
  end: number;
  headerStart: number;
}

/** Section ids that must come after the export section (start, element, datacount, code, data). */
const AFTER_EXPORT = new Set([8, 9, 12, 10, 11]);

export function limitMemories(src: Uint8Array, capPages: number): Limited {
  try {
    return rewrite(src, capPages);
  } catch (error) {
    if (error instanceof Malformed) return { bytes: src, minBytes: 0 };
    throw error;
  }
}

function rewrite(b: Uint8Array, capPages: number): Limited {
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw new Malformed();
  const sections: Section[] = [];
  let p = 8;
  while (p < b.length) {
    const id = b[p];
    const [size, start] = readU32(b, p + 1);
    if (start + size > b.length) throw new Malformed();
    sections.push({ id, start, end: start + size, headerStart: p });
    p = start + size;
  }
  const imports = sections.find((s) => s.id === 2);
  const memory = sections.find((s) => s.id === 5);
  if (memory === undefined) return { bytes: b, minBytes: 0 };
  const firstDefined = imports === undefined ? 0 : importedMemories(b, imports.start);
  const capped = capSection(b, memory.start, capPages);
  const hidden: number[] = [];
  for (let i = 0; i < capped.count; i++) {
    const name = [...(HIDDEN_EXPORT + String(firstDefined + i))].map((c) => c.charCodeAt(0));
    hidden.push(...u32(name.length), ...name, 2, ...u32(firstDefined + i));
  }
  const exports = sections.find((s) => s.id === 7);
  let exportPayload: Uint8Array;
  if (exports === undefined) exportPayload = concat([Uint8Array.from(u32(capped.count)), Uint8Array.from(hidden)]);
  else {
    const [count, entries] = readU32(b, exports.start);
    exportPayload = concat([Uint8Array.from(u32(count + capped.count)), b.subarray(entries, exports.end), Uint8Array.from(hidden)]);
  }
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  const section = (id: number, payload: Uint8Array) => parts.push(Uint8Array.from([id, ...u32(payload.length)]), payload);
  let exportWritten = false;
  for (const s of sections) {
    if (!exportWritten && exports === undefined && AFTER_EXPORT.has(s.id)) {
      section(7, exportPayload);
      exportWritten = true;
    }
    if (s === memory) section(5, Uint8Array.from(capped.payload));
    else if (s === exports) {
      section(7, exportPayload);
      exportWritten = true;
    } else parts.push(b.subarray(s.headerStart, s.end));
  }
  if (!exportWritten) section(7, exportPayload);
  return { bytes: concat(parts), minBytes: capped.minPages * PAGE };
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const part of parts) n += part.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
