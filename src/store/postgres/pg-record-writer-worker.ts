/**
 * PostgreSQL's record writer thread (the main side is store/record-writer-thread.ts,
 * the same messages as SQLite's; built as dist/pg-record-writer-worker.js): a pool of one
 * connection of its own, each batch it is sent written in one transaction by writeRecords,
 * as the store's pool would.
 */
import { workerData } from 'node:worker_threads';
import { serveWrites } from '../record-writer-serve.ts';
import { writeRecords } from './invocation-repo.ts';
import { createPool, parseTarget } from './pg-client.ts';

// Connected at the first write: a server that is down then fails that write (the recorder
// keeps the records and tries again), not the thread.
const pool = createPool(parseTarget((workerData as { path: string }).path), 1);

serveWrites((m) => writeRecords(pool, m.block, m.kind));
