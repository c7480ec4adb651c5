/**
 * How SQLite's writer cuts a block into transactions: WRITE_CHUNK records each, so the
 * writer thread pauses between them and the store's own connection is never kept waiting long.
 */
import { pick, type RecordBlock } from '../record-block.ts';
import { WRITE_CHUNK } from './row-writer.ts';

/**
 * The block in WRITE_CHUNK parts, the transactions it is written in. Each part is a block of
 * its own (only its texts), so a part can be stored as it is.
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
