/**
 * A batch of records as columns: every value in one Float64Array, row after row, and the
 * texts in one table the values point into. It is how both stores' recorders keep records
 * waiting (BlockPack), how records travel to a writer thread, and how a SQLite segment keeps
 * them (sqlite/record-segments.ts, postgres/segment-store.ts; stored as block-bytes.ts says).
 *
 * Why not rows (arrays of 28 values)? Posting rows to the thread cloned every value on the
 * main thread and rebuilt every array on the other side, and the thread then turned them
 * into JSON: ~3 µs a record across both threads, for a record that is written once and
 * rarely read. A block is one typed array and a short list of texts (a record's id and
 * trace ids, plus the few texts that repeat: function, route, status, instance), so posting
 * it is a copy, and storing it is that copy and the texts' JSON.
 */
import type { InvocationRecord } from '../core/types.ts';
import { byIdNewestFirst } from './invocation-query.ts';
import type { InvocationQuery, RecordPack } from './ports.ts';
import { COLUMN_KINDS, recordFromRow, ROW_FUNCTION, ROW_ID, ROW_STARTED, ROW_STATUS, ROW_WIDTH, type RecordRow } from './record-rows.ts';

export interface RecordBlock {
  readonly count: number;
  /**
   * count × ROW_WIDTH values in RecordRow order: a number column's value (NaN for null), a
   * text column's index in `texts` (-1 for null).
   */
  readonly slots: Float64Array;
  readonly texts: readonly string[];
}

const NUMBER = 0;
const UNIQUE = 2;

/** Builds a block row by row; texts that repeat are kept once. */
export class BlockBuilder {
  #slots: Float64Array;
  readonly #texts: string[] = [];
  readonly #seen = new Map<string, number>();
  /** Per column, the last text added and its index: the next record nearly always repeats it (no map lookup then). */
  readonly #lastText: Array<string | undefined> = new Array(ROW_WIDTH).fill(undefined);
  readonly #lastAt = new Float64Array(ROW_WIDTH);
  #count = 0;

  constructor(capacity = 16) {
    this.#slots = new Float64Array(Math.max(1, capacity) * ROW_WIDTH);
  }

  get count(): number {
    return this.#count;
  }

  add(row: RecordRow): void {
    const k = this.#room();
    const slots = this.#slots;
    for (let c = 0; c < ROW_WIDTH; c++) {
      const v = row[c];
      const kind = COLUMN_KINDS[c];
      if (kind === NUMBER) slots[k + c] = v === null || v === undefined ? NaN : (v as number);
      else if (kind === UNIQUE) this.#unique(k + c, v as string | null | undefined);
      else this.#text(k + c, c, v as string | null | undefined);
    }
    this.#count++;
  }

  /**
   * A record's values, as add(recordRow(record)) would store them, written straight into the
   * block: no row array in between (a fractional number stored in a mixed array is a heap
   * object of its own). record-block.test.ts keeps the two equal.
   */
  addRecord(r: InvocationRecord): void {
    const k = this.#room();
    // A missing number is NaN, as add() stores it (a typed array would store null as 0).
    const s = this.#slots;
    this.#unique(k, r.id);
    this.#text(k + 1, 1, r.functionName);
    s[k + 2] = r.version ?? NaN;
    this.#text(k + 3, 3, r.trigger);
    this.#text(k + 4, 4, r.triggerSource);
    s[k + 5] = r.startedAt ?? NaN;
    s[k + 6] = r.durationMs ?? NaN;
    s[k + 7] = r.billedMs ?? NaN;
    s[k + 8] = r.memoryMb ?? NaN;
    this.#text(k + 9, 9, r.status);
    s[k + 10] = r.statusCode ?? NaN;
    this.#text(k + 11, 11, r.errorCode);
    this.#text(k + 12, 12, r.errorName);
    this.#text(k + 13, 13, r.errorMessage);
    s[k + 14] = r.coldStart ? 1 : 0;
    s[k + 15] = r.initMs ?? NaN;
    this.#text(k + 16, 16, r.instanceId);
    s[k + 17] = r.requestBytes ?? NaN;
    s[k + 18] = r.responseBytes ?? NaN;
    s[k + 19] = r.attempt ?? NaN;
    this.#text(k + 20, 20, r.logs.length === 0 ? '[]' : JSON.stringify(r.logs));
    s[k + 21] = r.logsTruncated ? 1 : 0;
    s[k + 22] = r.cpuMs ?? NaN;
    s[k + 23] = r.peakMemoryBytes ?? NaN;
    s[k + 24] = r.occupancyMs ?? NaN;
    this.#unique(k + 25, r.traceId);
    this.#unique(k + 26, r.spanId);
    this.#text(k + 27, 27, r.parentSpanId);
    this.#text(k + 28, 28, r.alias ?? null);
    const sockets = r.sockets;
    s[k + 29] = sockets?.opened ?? 0;
    s[k + 30] = sockets?.bytesIn ?? 0;
    s[k + 31] = sockets?.bytesOut ?? 0;
    this.#count++;
  }

  /** Where the next record's values go, the values grown to hold them. */
  #room(): number {
    const k = this.#count * ROW_WIDTH;
    if (k + ROW_WIDTH > this.#slots.length) {
      // Off the JS heap: growing copies bytes, and the collector never scans or moves them.
      const grown = new Float64Array(Math.max(16 * ROW_WIDTH, this.#slots.length * 2));
      grown.set(this.#slots);
      this.#slots = grown;
    }
    return k;
  }

  /** A text that never repeats (an id): its own entry in the table. */
  #unique(at: number, v: string | null | undefined): void {
    this.#slots[at] = v === null || v === undefined ? -1 : this.#texts.push(v) - 1;
  }

  /** A text that often repeats (column `c`): kept once. */
  #text(at: number, c: number, v: string | null | undefined): void {
    if (v === null || v === undefined) this.#slots[at] = -1;
    else if (v === this.#lastText[c]) this.#slots[at] = this.#lastAt[c];
    else {
      let i = this.#seen.get(v);
      if (i === undefined) this.#seen.set(v, (i = this.#texts.push(v) - 1));
      this.#lastText[c] = v;
      this.#lastAt[c] = i;
      this.#slots[at] = i;
    }
  }

  /**
   * What was added so far. The values are trimmed to their size first: a block is posted to
   * the writer thread whole (a view would post its whole buffer), and one that waits to be
   * written again after a failure keeps no spare room. Later adds grow it again.
   */
  block(): RecordBlock {
    const size = this.#count * ROW_WIDTH;
    if (this.#slots.length > size) this.#slots = this.#slots.slice(0, size);
    return this.view();
  }

  /** The index in `texts` of a text that repeats (a column other than the ids), or -1 if none was added. */
  indexOfText(text: string): number {
    return this.#seen.get(text) ?? -1;
  }

  /** What was added so far, to read here: no copy (later adds write past it, or grow a new buffer). */
  view(): RecordBlock {
    return { count: this.#count, slots: this.#slots.subarray(0, this.#count * ROW_WIDTH), texts: this.#texts };
  }
}

/** Rows as a block. */
export function blockOf(rows: readonly RecordRow[]): RecordBlock {
  const builder = new BlockBuilder(rows.length);
  for (const row of rows) builder.add(row);
  return builder.block();
}

/** The records at `indexes`, with only their own texts: a block of its own, to store as it is. */
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

/** The index of the record with id `id`, or -1. */
export function indexOfId(block: RecordBlock, id: string): number {
  for (let i = 0; i < block.count; i++) if (block.texts[block.slots[i * ROW_WIDTH + ROW_ID]] === id) return i;
  return -1;
}

/** Column `c` of record `i`. */
export function valueAt(block: RecordBlock, i: number, c: number): unknown {
  const v = block.slots[i * ROW_WIDTH + c];
  if (COLUMN_KINDS[c] === NUMBER) return Number.isNaN(v) ? null : v;
  return v < 0 ? null : block.texts[v];
}

/** Whether text column `c` of record `i` is `text`. */
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


/** The SQLite and PostgreSQL stores' RecordPack: a block being built, read back through recordFromRow. */
export class BlockPack implements RecordPack {
  readonly #builder: BlockBuilder;

  /** `capacity`: the records it is sized for at first (it grows past that as needed). */
  constructor(capacity?: number) {
    this.#builder = new BlockBuilder(capacity);
  }

  get count(): number {
    return this.#builder.count;
  }

  add(record: InvocationRecord): void {
    this.#builder.addRecord(record);
  }

  // Reads (get, lists) take a view: trimming for them would make the next add copy everything again.
  find(id: string): InvocationRecord | undefined {
    const block = this.#builder.view();
    const i = indexOfId(block, id);
    return i < 0 ? undefined : recordFromRow(rowAt(block, i));
  }

  records(query?: InvocationQuery): InvocationRecord[] {
    const block = this.#builder.view();
    if (query === undefined) return rowsOf(block).map(recordFromRow);
    // Selected on the block's values (a text compared by its index, an id read as its string),
    // so only the records returned are made: a pack can hold tens of thousands during an outage.
    const fn = query.functionName === undefined ? -1 : this.#builder.indexOfText(query.functionName);
    const status = query.status === undefined ? -1 : this.#builder.indexOfText(query.status);
    if ((query.functionName !== undefined && fn < 0) || (query.status !== undefined && status < 0)) return [];
    const picked: Array<{ id: string; i: number }> = [];
    for (let i = 0; i < block.count; i++) {
      const at = i * ROW_WIDTH;
      if (fn >= 0 && block.slots[at + ROW_FUNCTION] !== fn) continue;
      if (status >= 0 && block.slots[at + ROW_STATUS] !== status) continue;
      if (query.since !== undefined && !(block.slots[at + ROW_STARTED] >= query.since)) continue;
      const id = valueAt(block, i, ROW_ID) as string;
      if (query.before !== undefined && !(id < query.before)) continue;
      picked.push({ id, i });
    }
    return picked.sort(byIdNewestFirst).slice(0, query.limit).map((p) => recordFromRow(rowAt(block, p.i)));
  }

  block(): RecordBlock {
    return this.#builder.block();
  }
}
