/**
 * SQLite's record writer thread (the main side is store/record-writer-thread.ts): its own connection to
 * the store's file; each batch it is sent is written in chunks, one transaction each.
 */
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { serveWrites } from '../record-writer-serve.ts';
import { recordWriters } from './record-segments.ts';
import { chunksOf } from './block-chunks.ts';

const db = new Database((workerData as { path: string }).path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
const writers = recordWriters(db);
/**
 * A pause between transactions (each a chunk of records, ~2 ms: block-chunks.ts CHUNK): SQLite's lock is not
 * fair and a waiting connection polls with growing sleeps, so without the pause a long batch
 * would keep the main connection's writes (queue, workflow steps, deploys) waiting.
 */
const PAUSE_MS = 2;
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, PAUSE_MS));

serveWrites(async (m) => {
  let first = true;
  for (const chunk of chunksOf(m.block, m.kind)) {
    if (!first) await pause();
    first = false;
    writers[m.kind](chunk);
  }
});
