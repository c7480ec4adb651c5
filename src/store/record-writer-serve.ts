/**
 * The worker side of a record writer thread (record-writer-thread.ts is the
 * main side): says it is ready, then writes the requests it is sent one at a time, in
 * order, replying to each. SQLite's and PostgreSQL's workers differ only in `write`.
 */
import { parentPort } from 'node:worker_threads';
import type { ReadyMessage, WriteReply, WriteRequest } from './record-writer-thread.ts';

export function serveWrites(write: (m: WriteRequest) => Promise<void> | void): void {
  const port = parentPort;
  if (port === null) throw new Error('a record writer runs as a worker thread');
  const ready: ReadyMessage = { ready: true };
  port.postMessage(ready);
  // One request at a time: the next waits while this one runs (SQLite's pauses between chunks).
  let queue = Promise.resolve();
  port.on('message', (m: WriteRequest) => {
    queue = queue.then(async () => {
      let reply: WriteReply;
      try {
        await write(m);
        reply = { seq: m.seq };
      } catch (error) {
        reply = { seq: m.seq, error: (error as Error)?.message ?? String(error) };
      }
      port.postMessage(reply);
    });
  });
}
