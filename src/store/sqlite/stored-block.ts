/**
 * How SQLite's writer cuts a block into transactions (chunksOf, pick) and how a segment
 * stores one (encodeBlock, decodeBlock): the block itself (store/record-block.ts) is shared
 * with PostgreSQL's store, these are SQLite's own.
 */
import { COLUMN_KINDS, ROW_WIDTH, type RecordKind } from '../record-rows.ts';
import type { RecordBlock } from '../record-block.ts';
import { WRITE_CHUNK } from './row-writer.ts';

const NUMBER = 0;

/**
 * Records per transaction, by kind: keyed rows (a row and its indexes each) WRITE_CHUNK;
 * records stored in segments cost the writer a fraction of a row each, so twice as many
 * make a transaction of about the same length. A busy function's flush is then one
 * transaction, not two with a pause between them and every record copied into its part first.
 */
export const CHUNK: Readonly<Record<RecordKind, number>> = { keyed: WRITE_CHUNK, fresh: 2 * WRITE_CHUNK };

/**
 * The block in parts of CHUNK[kind] records, the transactions it is written in. Each part is
 * a block of its own (only its texts), so a part can be stored as it is.
 */
export function* chunksOf(block: RecordBlock, kind: RecordKind): Generator<RecordBlock> {
  const size = CHUNK[kind];
  if (block.count <= size) {
    yield block;
    return;
  }
  for (let i = 0; i < block.count; i += size) {
    const end = Math.min(block.count, i + size);
    yield pick(block, Array.from({ length: end - i }, (_, k) => i + k));
  }
}

/** The records at `indexes`, with only their own texts. */
export function pick(block: RecordBlock, indexes: readonly number[]): RecordBlock {
  const slots = new Float64Array(indexes.length * ROW_WIDTH);
  const texts: string[] = [];
  // Where each text of `block` went in `texts` (-1: not yet): an array, not a map keyed by numbers, on the writer thread's path.
  const moved = new Int32Array(block.texts.length).fill(-1);
  let k = 0;
  for (const i of indexes) {
    const base = i * ROW_WIDTH;
    for (let c = 0; c < ROW_WIDTH; c++) {
      const v = block.slots[base + c];
      if (COLUMN_KINDS[c] === NUMBER || v < 0) slots[k++] = v;
      else {
        if (moved[v] < 0) moved[v] = texts.push(block.texts[v]) - 1;
        slots[k++] = moved[v];
      }
    }
  }
  return { count: indexes.length, slots, texts };
}

/**
 * Stored form (format 3): a header (format, the row width, the count, the texts' length), a
 * bit per column saying whether it holds one value for every record (most do: function,
 * route, status, memory, the nulls of a success...), the texts as a JSON array, padding to 8
 * bytes, the constant columns' values once each, then the other columns' values row after
 * row. Values are in the machine's byte order, as a Float64Array holds them (little-endian
 * on every host Nimbus runs on). Keeping a constant column once halves what a busy
 * function's segments take on disk and in the WAL (bench/README.md). The width is kept so a
 * block written before a column was added at the end of the row can still be read (the new
 * column reads as null). Format 1 (2026-11-27: every column in every row, no bits) is still
 * read. Format 2 is refused: no released version writes it.
 */
const FORMAT = 3;
const HEADER = 12;

/** `width`: store only the first `width` columns (what a Nimbus with fewer columns wrote; for tests). */
export function encodeBlock(block: RecordBlock, width: number = ROW_WIDTH): Buffer {
  const { count, slots } = block;
  const constantColumns: number[] = [];
  const varyingColumns: number[] = [];
  for (let c = 0; c < width; c++) {
    const first = slots[c];
    let same = true;
    for (let i = 1; i < count && same; i++) {
      const v = slots[i * ROW_WIDTH + c];
      same = v === first || (v !== v && first !== first); // NaN (null) equals NaN here
    }
    (same ? constantColumns : varyingColumns).push(c);
  }
  const constants = constantColumns.length;
  const varying = varyingColumns.length;
  const maskBytes = (width + 7) >> 3;
  const texts = JSON.stringify(block.texts);
  const textBytes = Buffer.byteLength(texts);
  const textsAt = HEADER + maskBytes;
  const valuesAt = align8(textsAt + textBytes);
  // A buffer of its own (offset 0), so the values are written in place, 8-byte aligned: no second copy.
  const out = Buffer.allocUnsafeSlow(valuesAt + (constants + count * varying) * 8);
  out.writeUInt8(FORMAT, 0);
  out.writeUInt8(0, 1);
  out.writeUInt16LE(width, 2);
  out.writeUInt32LE(count, 4);
  out.writeUInt32LE(textBytes, 8);
  out.fill(0, HEADER, textsAt);
  for (const c of constantColumns) out[HEADER + (c >> 3)] |= 1 << (c & 7);
  out.write(texts, textsAt, 'utf8');
  out.fill(0, textsAt + textBytes, valuesAt);
  const values = new Float64Array(out.buffer, out.byteOffset + valuesAt, constants + count * varying);
  let k = 0;
  for (const c of constantColumns) values[k++] = slots[c];
  for (let i = 0; i < count; i++) {
    const base = i * ROW_WIDTH;
    for (let j = 0; j < varying; j++) values[k++] = slots[base + varyingColumns[j]];
  }
  return out;
}

export function decodeBlock(stored: Uint8Array): RecordBlock {
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const format = buf.length >= HEADER ? buf.readUInt8(0) : 0;
  if (format !== 1 && format !== FORMAT) throw new Error(`not a record block (format ${buf.length > 0 ? buf.readUInt8(0) : 'none'})`);
  const width = buf.readUInt16LE(2);
  const count = buf.readUInt32LE(4);
  const textBytes = buf.readUInt32LE(8);
  if (width > ROW_WIDTH) throw new Error(`a record block with ${width} columns is newer than this Nimbus (${ROW_WIDTH})`);
  // Format 1 has no bits: every column varies.
  const textsAt = format === 1 ? HEADER : HEADER + ((width + 7) >> 3);
  const constant = (c: number) => format !== 1 && (buf[HEADER + (c >> 3)] & (1 << (c & 7))) !== 0;
  let constants = 0;
  for (let c = 0; c < width; c++) if (constant(c)) constants++;
  const varying = width - constants;
  const valuesAt = align8(textsAt + textBytes);
  const size = valuesAt + (constants + count * varying) * 8;
  if (size > buf.length) throw new Error(`a record block of ${buf.length} bytes is cut short (${count} records need ${size})`);
  const texts = JSON.parse(buf.toString('utf8', textsAt, textsAt + textBytes)) as string[];
  // Copied: the stored bytes need not be 8-byte aligned.
  const values = new Float64Array(buf.buffer.slice(buf.byteOffset + valuesAt, buf.byteOffset + size));
  if (format === 1 && width === ROW_WIDTH) return { count, slots: values, texts };
  const slots = new Float64Array(count * ROW_WIDTH);
  let k = 0;
  for (let c = 0; c < ROW_WIDTH; c++) {
    if (c < width && !constant(c)) continue;
    const v = c < width ? values[k++] : COLUMN_KINDS[c] === NUMBER ? NaN : -1;
    for (let i = 0; i < count; i++) slots[i * ROW_WIDTH + c] = v;
  }
  for (let i = 0; i < count; i++) for (let c = 0; c < width; c++) if (!constant(c)) slots[i * ROW_WIDTH + c] = values[k++];
  return { count, slots, texts };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
