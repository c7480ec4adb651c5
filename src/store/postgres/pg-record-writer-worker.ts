/**
 * PostgreSQL's record writer thread (the main side is store/sqlite/record-writer-thread.ts,
 * the messages are SQLite's; built as dist/pg-record-writer-worker.js): a pool of one
 * connection of its own, each batch it is sent written in one transaction by writeRecords,
 * as the store's pool would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { rowsOf } from '../sqlite/record-block.ts';
import { recordFromRow } from '../sqlite/record-rows.ts';
import type { ReadyMessage, WriteReply, WriteRequest } from '../sqlite/record-writer-worker.ts';
import { writeRecords } from './invocation-repo.ts';
import { createPool, parseTarget } from './pg-client.ts';

const port = parentPort;
if (port === null) throw new Error('pg-record-writer-worker.ts runs as a worker thread');
// Connected at the first write: a server that is down then fails that write (the recorder
// keeps the records and tries again), not the thread.
const pool = createPool(parseTarget((workerData as { path: string }).path), 1);

const ready: ReadyMessage = { ready: true };
port.postMessage(ready);

// One request at a time, in order.
let queue = Promise.resolve();
port.on('message', (m: WriteRequest) => {
  queue = queue.then(() => handle(m));
});

async function handle(m: WriteRequest): Promise<void> {
  let reply: WriteReply;
  try {
    await writeRecords(pool, rowsOf(m.block).map(recordFromRow), m.kind);
    reply = { seq: m.seq };
  } catch (error) {
    reply = { seq: m.seq, error: (error as Error)?.message ?? String(error) };
  }
  port?.postMessage(reply);
}
