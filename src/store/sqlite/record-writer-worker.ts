/**
 * The record writer thread's side (see record-writer-thread.ts): its own connection to
 * the store's file, and one transaction per batch it is sent.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { recordWriter, type RecordRow } from './record-rows.ts';

export interface WriteRequest {
  readonly seq: number;
  readonly rows: readonly RecordRow[];
}
export interface WriteReply {
  readonly seq: number;
  readonly error?: string;
}

const port = parentPort;
if (port === null) throw new Error('record-writer-worker.ts runs as a worker thread');
const db = new Database((workerData as { path: string }).path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
const write = recordWriter(db);
/** Rows per transaction: bounds how long a write on the main connection can wait for ours. */
const CHUNK = 250;

port.on('message', (m: WriteRequest) => {
  let reply: WriteReply;
  try {
    for (let i = 0; i < m.rows.length; i += CHUNK) write(m.rows.slice(i, i + CHUNK));
    reply = { seq: m.seq };
  } catch (error) {
    reply = { seq: m.seq, error: (error as Error)?.message ?? String(error) };
  }
  port.postMessage(reply);
});
