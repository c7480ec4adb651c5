/**
 * A batch of records as columns: every value in one Float64Array, row after row, and the
 * texts in one table the values point into. It is how records travel to the writer thread
 * and how a segment keeps them (record-segments.ts).
 *
 * Why not rows (arrays of 28 values)? Posting rows to the thread cloned every value on the
 * main thread and rebuilt every array on the other side, and the thread then turned them
 * into JSON: ~3 µs a record across both threads, for a record that is written once and
 * rarely read. A block is one typed array, the texts that repeat (function, route, status,
 * instance) once each, and a record's own ids (id, trace, span) as ASCII bytes in a second
 * typed array; posting it is a copy, and storing it is that copy and the few texts' JSON.
 */
import { idTimeMs, idTimeMsOfBytes } from '../../core/ids.ts';
import type { InvocationRecord } from '../../core/types.ts';
import type { RecordPack } from '../ports.ts';
import { COLUMN_KINDS, recordFromRow, recordRow, ROW_ID, ROW_WIDTH, WRITE_CHUNK, type RecordRow } from './record-rows.ts';

export interface RecordBlock {
  readonly count: number;
  /**
   * count × ROW_WIDTH values in RecordRow order: a number column's value (NaN for null), a
   * text column's index in `texts` (-1 for null), a unique text column's place in `chars`
   * (uniqueSlot; -1 for null, -2 - index for one kept in `texts`).
   */
  readonly slots: Float64Array;
  readonly texts: readonly string[];
  /**
   * The unique texts (a record's id and trace ids) as ASCII bytes, off the JS heap: kept as
   * strings, each record left three behind on the heap until written, for the young-generation
   * collector to copy (bench/README.md).
   */
  readonly chars: Uint8Array;
}

const NUMBER = 0;
const UNIQUE = 2;
/** A unique text longer than this, or not ASCII, is kept in `texts` instead. */
const MAX_CHARS = 255;

/** Where a unique text of `length` ASCII bytes at `at` in `chars` is: what its slot holds. */
function uniqueSlot(at: number, length: number): number {
  return at * 256 + length;
}

/** A unique text's value from its slot. */
function uniqueAt(block: RecordBlock, v: number): string | null {
  if (v >= 0) {
    const at = Math.floor(v / 256);
    return String.fromCharCode.apply(null, block.chars.subarray(at, at + (v % 256)) as unknown as number[]);
  }
  return v === -1 ? null : block.texts[-2 - v];
}

/** Builds a block row by row; texts that repeat are kept once, unique ones as bytes. */
export class BlockBuilder {
  #slots: Float64Array;
  #chars: Uint8Array;
  #charCount = 0;
  readonly #texts: string[] = [];
  readonly #seen = new Map<string, number>();
  /** Per column, the last text added and its index: the next record nearly always repeats it (no map lookup then). */
  readonly #lastText: Array<string | undefined> = new Array(ROW_WIDTH).fill(undefined);
  readonly #lastAt = new Float64Array(ROW_WIDTH);
  #count = 0;

  constructor(capacity = 16) {
    this.#slots = new Float64Array(Math.max(1, capacity) * ROW_WIDTH);
    this.#chars = new Uint8Array(Math.max(1, capacity) * 80);
  }

  get count(): number {
    return this.#count;
  }

  add(row: RecordRow): void {
    let k = this.#count * ROW_WIDTH;
    if (k + ROW_WIDTH > this.#slots.length) {
      // Off the JS heap: growing copies bytes, and the collector never scans or moves them.
      const grown = new Float64Array(Math.max(16 * ROW_WIDTH, this.#slots.length * 2));
      grown.set(this.#slots);
      this.#slots = grown;
    }
    const slots = this.#slots;
    const texts = this.#texts;
    for (let c = 0; c < ROW_WIDTH; c++) {
      const v = row[c];
      const kind = COLUMN_KINDS[c];
      if (kind === NUMBER) slots[k++] = v === null || v === undefined ? NaN : (v as number);
      else if (v === null || v === undefined) slots[k++] = -1;
      else if (kind === UNIQUE) slots[k++] = this.#unique(v as string);
      else if (v === this.#lastText[c]) slots[k++] = this.#lastAt[c];
      else {
        let at = this.#seen.get(v as string);
        if (at === undefined) this.#seen.set(v as string, (at = texts.push(v as string) - 1));
        this.#lastText[c] = v as string;
        this.#lastAt[c] = at;
        slots[k++] = at;
      }
    }
    this.#count++;
  }

  /** The slot of a unique text: its bytes appended to `chars`, or (not ASCII, too long) an entry in `texts`. */
  #unique(text: string): number {
    const length = text.length;
    const at = this.#charCount;
    if (length <= MAX_CHARS) {
      if (at + length > this.#chars.length) {
        const grown = new Uint8Array(Math.max(1024, (at + length) * 2));
        grown.set(this.#chars.subarray(0, at));
        this.#chars = grown;
      }
      const chars = this.#chars;
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code > 127) break;
        chars[at + i] = code;
      }
      if (i === length) {
        this.#charCount = at + length;
        return uniqueSlot(at, length);
      }
    }
    return -2 - (this.#texts.push(text) - 1);
  }

  /**
   * What was added so far. The values are trimmed to their size first: a block is posted to
   * the writer thread whole (a view would post its whole buffer), and one that waits to be
   * written again after a failure keeps no spare room. Later adds grow it again.
   */
  block(): RecordBlock {
    const size = this.#count * ROW_WIDTH;
    if (this.#slots.length > size) this.#slots = this.#slots.slice(0, size);
    if (this.#chars.length > this.#charCount) this.#chars = this.#chars.slice(0, this.#charCount);
    return this.view();
  }

  /** What was added so far, to read here: no copy (later adds write past it, or grow a new buffer). */
  view(): RecordBlock {
    return { count: this.#count, slots: this.#slots.subarray(0, this.#count * ROW_WIDTH), texts: this.#texts, chars: this.#chars.subarray(0, this.#charCount) };
  }
}

/** Rows as a block. */
export function blockOf(rows: readonly RecordRow[]): RecordBlock {
  const builder = new BlockBuilder(rows.length);
  for (const row of rows) builder.add(row);
  return builder.block();
}

/** Whether unique text slot `v` holds `text`, compared without making a string. */
function uniqueIs(block: RecordBlock, v: number, text: string): boolean {
  if (v < 0) return v !== -1 && block.texts[-2 - v] === text;
  const length = v % 256;
  if (length !== text.length) return false;
  const at = Math.floor(v / 256);
  for (let i = 0; i < length; i++) if (block.chars[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The index of the record with id `id`, or -1. */
export function indexOfId(block: RecordBlock, id: string): number {
  for (let i = 0; i < block.count; i++) if (uniqueIs(block, block.slots[i * ROW_WIDTH + ROW_ID], id)) return i;
  return -1;
}

/** When record `i`'s id was made (idTimeMs), read from its bytes; null for an id not made by newId. */
export function idTimeAt(block: RecordBlock, i: number): number | null {
  const v = block.slots[i * ROW_WIDTH + ROW_ID];
  if (v < 0) return v === -1 ? null : idTimeMs(block.texts[-2 - v]);
  return idTimeMsOfBytes(block.chars, Math.floor(v / 256), v % 256);
}

/** Whether record `i`'s id sorts before record `j`'s, compared as bytes (ASCII sorts as its strings do). */
export function idBefore(block: RecordBlock, i: number, j: number): boolean {
  const a = block.slots[i * ROW_WIDTH + ROW_ID];
  const b = block.slots[j * ROW_WIDTH + ROW_ID];
  if (a < 0 || b < 0) return (valueAt(block, i, ROW_ID) as string) < (valueAt(block, j, ROW_ID) as string);
  const aAt = Math.floor(a / 256);
  const bAt = Math.floor(b / 256);
  const aLength = a % 256;
  const bLength = b % 256;
  for (let k = 0; k < aLength && k < bLength; k++) {
    const d = block.chars[aAt + k] - block.chars[bAt + k];
    if (d !== 0) return d < 0;
  }
  return aLength < bLength;
}

/** Column `c` of record `i`. */
export function valueAt(block: RecordBlock, i: number, c: number): unknown {
  const v = block.slots[i * ROW_WIDTH + c];
  const kind = COLUMN_KINDS[c];
  if (kind === NUMBER) return Number.isNaN(v) ? null : v;
  if (kind === UNIQUE) return uniqueAt(block, v);
  return v < 0 ? null : block.texts[v];
}

/** Whether text column `c` of record `i` is `text` (a repeated text: compared by its index, no string made). */
export function textIs(block: RecordBlock, i: number, c: number, text: string): boolean {
  const v = block.slots[i * ROW_WIDTH + c];
  return v >= 0 && block.texts[v] === text;
}

export function rowAt(block: RecordBlock, i: number): RecordRow {
  const row = new Array<unknown>(ROW_WIDTH);
  for (let c = 0; c < ROW_WIDTH; c++) row[c] = valueAt(block, i, c);
  return row;
}

export function rowsOf(block: RecordBlock): RecordRow[] {
  const rows = new Array<RecordRow>(block.count);
  for (let i = 0; i < block.count; i++) rows[i] = rowAt(block, i);
  return rows;
}

/**
 * The block in WRITE_CHUNK parts, the transactions it is written in. Each part is a block of
 * its own (only its texts and chars), so a part can be stored as it is.
 */
export function* chunksOf(block: RecordBlock): Generator<RecordBlock> {
  if (block.count <= WRITE_CHUNK) {
    yield block;
    return;
  }
  for (let i = 0; i < block.count; i += WRITE_CHUNK) {
    const end = Math.min(block.count, i + WRITE_CHUNK);
    yield pick(block, Array.from({ length: end - i }, (_, k) => i + k));
  }
}

/** The records at `indexes`, with only their own texts and chars. */
export function pick(block: RecordBlock, indexes: readonly number[]): RecordBlock {
  const slots = new Float64Array(indexes.length * ROW_WIDTH);
  const texts: string[] = [];
  // Where each text of `block` went in `texts` (-1: not yet): an array, not a map, on the writer thread's path.
  const moved = new Int32Array(block.texts.length).fill(-1);
  const movedTo = (v: number): number => {
    if (moved[v] < 0) moved[v] = texts.push(block.texts[v]) - 1;
    return moved[v];
  };
  let chars = new Uint8Array(Math.min(block.chars.length, indexes.length * 3 * MAX_CHARS));
  let charCount = 0;
  let k = 0;
  for (const i of indexes) {
    const base = i * ROW_WIDTH;
    for (let c = 0; c < ROW_WIDTH; c++) {
      const v = block.slots[base + c];
      const kind = COLUMN_KINDS[c];
      if (kind === NUMBER || v === -1) slots[k++] = v;
      else if (kind !== UNIQUE) slots[k++] = movedTo(v);
      else if (v < 0) slots[k++] = -2 - movedTo(-2 - v);
      else {
        const at = Math.floor(v / 256);
        const length = v % 256;
        if (charCount + length > chars.length) {
          const grown = new Uint8Array((charCount + length) * 2);
          grown.set(chars.subarray(0, charCount));
          chars = grown;
        }
        // A byte loop: a subarray and set() per id cost more than the copy.
        for (let b = 0; b < length; b++) chars[charCount + b] = block.chars[at + b];
        slots[k++] = uniqueSlot(charCount, length);
        charCount += length;
      }
    }
  }
  return { count: indexes.length, slots, texts, chars: chars.subarray(0, charCount) };
}

/**
 * Stored form (format 2): a header (format, the row width, the count, the lengths of the
 * texts and of the chars), a bit per column saying whether it holds one value for every
 * record (most do: function, route, status, memory, the nulls of a success...), the texts as
 * a JSON array, the chars, padding to 8 bytes, the constant columns' values once each, then
 * the other columns' values row after row. Values are in the machine's byte order, as a
 * Float64Array holds them (little-endian on every host Nimbus runs on). Keeping a constant
 * column once halves what a busy function's segments take on disk and in the WAL
 * (bench/README.md). The width is kept so a block written before a column was added at the
 * end of the row can still be read (the new column reads as null). Format 1 (2026-11-27:
 * every column in every row, ids among the texts, a 12-byte header) is still read.
 */
const FORMAT = 2;
const HEADER = 16;
const FORMAT_1_HEADER = 12;

/** `width`: store only the first `width` columns (what a Nimbus with fewer columns wrote; for tests). */
export function encodeBlock(block: RecordBlock, width: number = ROW_WIDTH): Buffer {
  const { count, slots } = block;
  const constant: boolean[] = new Array(width);
  let constants = 0;
  for (let c = 0; c < width; c++) {
    const first = slots[c];
    let same = true;
    for (let i = 1; i < count && same; i++) {
      const v = slots[i * ROW_WIDTH + c];
      same = v === first || (v !== v && first !== first); // NaN (null) equals NaN here
    }
    constant[c] = same;
    if (same) constants++;
  }
  const varying = width - constants;
  const texts = Buffer.from(JSON.stringify(block.texts));
  const textsAt = HEADER + ((width + 7) >> 3);
  const charsAt = textsAt + texts.length;
  const valuesAt = align8(charsAt + block.chars.length);
  const out = Buffer.allocUnsafe(valuesAt + (constants + count * varying) * 8);
  out.writeUInt8(FORMAT, 0);
  out.writeUInt8(0, 1);
  out.writeUInt16LE(width, 2);
  out.writeUInt32LE(count, 4);
  out.writeUInt32LE(texts.length, 8);
  out.writeUInt32LE(block.chars.length, 12);
  out.fill(0, HEADER, textsAt);
  for (let c = 0; c < width; c++) if (constant[c]) out[HEADER + (c >> 3)] |= 1 << (c & 7);
  texts.copy(out, textsAt);
  out.set(block.chars, charsAt);
  out.fill(0, charsAt + block.chars.length, valuesAt);
  const values = new Float64Array(constants + count * varying);
  let k = 0;
  for (let c = 0; c < width; c++) if (constant[c]) values[k++] = slots[c];
  for (let i = 0; i < count; i++) for (let c = 0; c < width; c++) if (!constant[c]) values[k++] = slots[i * ROW_WIDTH + c];
  out.set(new Uint8Array(values.buffer), valuesAt);
  return out;
}

export function decodeBlock(stored: Uint8Array): RecordBlock {
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const format = buf.length > 0 ? buf.readUInt8(0) : 0;
  if ((format !== 1 && format !== FORMAT) || buf.length < (format === 1 ? FORMAT_1_HEADER : HEADER)) {
    throw new Error(`not a record block (format ${buf.length > 0 ? format : 'none'})`);
  }
  const width = buf.readUInt16LE(2);
  const count = buf.readUInt32LE(4);
  const textBytes = buf.readUInt32LE(8);
  const charBytes = format === 1 ? 0 : buf.readUInt32LE(12);
  if (width > ROW_WIDTH) throw new Error(`a record block with ${width} columns is newer than this Nimbus (${ROW_WIDTH})`);
  // Format 1 has no bits: every column varies.
  const textsAt = format === 1 ? FORMAT_1_HEADER : HEADER + ((width + 7) >> 3);
  const constant = (c: number) => format !== 1 && (buf[HEADER + (c >> 3)] & (1 << (c & 7))) !== 0;
  let constants = 0;
  for (let c = 0; c < width; c++) if (constant(c)) constants++;
  const varying = width - constants;
  const charsAt = textsAt + textBytes;
  const valuesAt = align8(charsAt + charBytes);
  const size = valuesAt + (constants + count * varying) * 8;
  if (size > buf.length) throw new Error(`a record block of ${buf.length} bytes is cut short (${count} records need ${size})`);
  const texts = JSON.parse(buf.toString('utf8', textsAt, charsAt)) as string[];
  // Copied: the stored bytes need not be 8-byte aligned.
  const chars = new Uint8Array(buf.buffer.slice(buf.byteOffset + charsAt, buf.byteOffset + charsAt + charBytes));
  const values = new Float64Array(buf.buffer.slice(buf.byteOffset + valuesAt, buf.byteOffset + size));
  const slots = new Float64Array(count * ROW_WIDTH);
  let k = 0;
  for (let c = 0; c < ROW_WIDTH; c++) {
    if (c < width && !constant(c)) continue;
    const v = c < width ? values[k++] : COLUMN_KINDS[c] === NUMBER ? NaN : -1;
    for (let i = 0; i < count; i++) slots[i * ROW_WIDTH + c] = v;
  }
  for (let i = 0; i < count; i++) for (let c = 0; c < width; c++) if (!constant(c)) slots[i * ROW_WIDTH + c] = values[k++];
  // Format 1 kept ids among the texts, as other texts are.
  if (format === 1) {
    for (let i = 0; i < slots.length; i++) if (COLUMN_KINDS[i % ROW_WIDTH] === UNIQUE && slots[i] >= 0) slots[i] = -2 - slots[i];
  }
  return { count, slots, texts, chars };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The SQLite store's RecordPack: a block being built, read back through recordFromRow. */
export class BlockPack implements RecordPack {
  readonly #builder = new BlockBuilder();

  get count(): number {
    return this.#builder.count;
  }

  add(record: InvocationRecord): void {
    this.#builder.add(recordRow(record));
  }

  // Reads (get, lists) take a view: trimming for them would make the next add copy everything again.
  find(id: string): InvocationRecord | undefined {
    const block = this.#builder.view();
    const i = indexOfId(block, id);
    return i < 0 ? undefined : recordFromRow(rowAt(block, i));
  }

  records(): InvocationRecord[] {
    return rowsOf(this.#builder.view()).map(recordFromRow);
  }

  block(): RecordBlock {
    return this.#builder.block();
  }
}
