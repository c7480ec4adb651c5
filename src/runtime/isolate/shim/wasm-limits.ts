/**
 * Rewrites a wasm binary before V8 compiles it, so that the shim makes its memories: each
 * memory the module defines becomes an import (module HIDDEN_MODULE, named by its index),
 * with the same limits and at the same index, and the shim supplies a Memory whose maximum
 * it chooses at instantiation (wasm code grows memory without asking JavaScript, so that
 * maximum is what bounds it). Anything that does not parse is passed through unchanged,
 * for V8 to reject with its own CompileError.
 */

export const HIDDEN_MODULE = '__nimbus_memory';

/** A memory the module defined, now imported: its limits in pages. */
export interface OwnMemory {
  readonly min: number;
  readonly max: number | undefined;
  readonly shared: boolean;
}

export interface Limited {
  readonly bytes: Uint8Array;
  /** The module's own memories, in index order; the shim supplies them. */
  readonly memories: readonly OwnMemory[];
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

/** The memory section's entries as import entries; throws on memory64. */
function memoriesOf(b: Uint8Array, start: number, firstIndex: number): { entries: number[]; memories: OwnMemory[] } {
  let [count, p] = readU32(b, start);
  const entries: number[] = [];
  const memories: OwnMemory[] = [];
  const module = [...HIDDEN_MODULE].map((c) => c.charCodeAt(0));
  for (let i = 0; i < count; i++) {
    const from = p;
    const flags = b[p];
    if (flags & 4) throw new Unsupported('64-bit wasm memories are not supported');
    const [min, p1] = readU32(b, p + 1);
    p = p1;
    let max: number | undefined;
    if (flags & 1) [max, p] = readU32(b, p);
    const field = [...String(firstIndex + i)].map((c) => c.charCodeAt(0));
    entries.push(...u32(module.length), ...module, ...u32(field.length), ...field, 2, ...b.subarray(from, p));
    memories.push({ min, max, shared: (flags & 2) !== 0 });
  }
  return { entries, memories };
}

interface Section {
  id: number;
  start: number; // payload start
  end: number;
  headerStart: number;
}

export function limitMemories(src: Uint8Array): Limited {
  try {
    return rewrite(src);
  } catch (error) {
    if (error instanceof Malformed) return { bytes: src, memories: [] };
    throw error;
  }
}

function rewrite(b: Uint8Array): Limited {
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
  if (memory === undefined) return { bytes: b, memories: [] };
  const firstDefined = imports === undefined ? 0 : importedMemories(b, imports.start);
  const own = memoriesOf(b, memory.start, firstDefined);
  // appended after every import, the memories keep their indices (imported ones come first)
  let importPayload: Uint8Array;
  if (imports === undefined) importPayload = concat([Uint8Array.from(u32(own.memories.length)), Uint8Array.from(own.entries)]);
  else {
    const [count, entries] = readU32(b, imports.start);
    importPayload = concat([Uint8Array.from(u32(count + own.memories.length)), b.subarray(entries, imports.end), Uint8Array.from(own.entries)]);
  }
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  const section = (id: number, payload: Uint8Array) => parts.push(Uint8Array.from([id, ...u32(payload.length)]), payload);
  let importWritten = false;
  for (const s of sections) {
    // the import section comes right after the type section, before every other known one
    if (!importWritten && imports === undefined && s.id !== 0 && s.id !== 1) {
      section(2, importPayload);
      importWritten = true;
    }
    if (s === memory) continue;
    if (s === imports) {
      section(2, importPayload);
      importWritten = true;
    } else parts.push(b.subarray(s.headerStart, s.end));
  }
  if (!importWritten) section(2, importPayload);
  return { bytes: concat(parts), memories: own.memories };
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
