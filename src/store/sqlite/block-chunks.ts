/**
 * How SQLite's writer cuts a block into transactions, so the writer thread pauses between
 * them and the store's own connection is never kept waiting long.
 */
import { pick, type RecordBlock } from '../record-block.ts';
import type { RecordKind } from '../record-rows.ts';
import { WRITE_CHUNK } from './row-writer.ts';

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
