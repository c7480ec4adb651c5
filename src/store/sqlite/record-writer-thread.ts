/**
 * Invocation records are written on a thread of their own. At full load their inserts
 * were the largest single cost of observability on the main thread (~10 % of it; see
 * bench/README.md, "Hot path"), and the main thread is what bounds throughput. The thread
 * has its own connection to the store's file: with WAL the main connection's readers never
 * wait for it. Writers do: the thread commits in chunks with a pause between them
 * (record-writer-worker.ts), so a write on the main connection waits milliseconds, not the
 * length of a whole batch.
 *
 * If the thread cannot start, dies, or is closed, `broken` is set and the store writes on
 * its own connection again (record-rows.ts is shared, so the rows are the same either way).
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { RecordBlock } from './record-block.ts';
import type { RecordKind } from './record-rows.ts';
import type { ReadyMessage, WriteReply, WriteRequest } from './record-writer-worker.ts';

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** SQLite's worker (record-writer-worker.ts); PostgreSQL's speaks the same messages (store/postgres/record-writer-worker.ts). */
export const SQLITE_RECORD_WORKER = new URL('./record-writer-worker.ts', import.meta.url);

/**
 * The worker's code: the built `.js` of `source` beside it, or, run from source, the
 * TypeScript entry loaded through tsx (a worker does not inherit `--import tsx`, so it
 * registers tsx itself). import.meta.resolve is synchronous from Node 20.6; before, this
 * throws and the store writes on its own connection.
 */
function workerEntry(source: URL): [URL | string, { eval?: boolean }] {
  const built = new URL(source.href.replace(/\.ts$/, '.js'));
  if (existsSync(built)) return [built, {}];
  const tsx = import.meta.resolve('tsx/esm/api');
  if (typeof tsx !== 'string') throw new Error('import.meta.resolve is not synchronous in this Node');
  return [`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); });`, { eval: true }];
}

export class RecordWriterThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  readonly #exited: Promise<void>;
  readonly #outstanding = new Set<Promise<void>>();
  #seq = 0;
  #broken: Error | null = null;
  #closing = false;
  #ready = false;

  /**
   * Throws when no worker can be made (the caller writes on its own connection then).
   * `path` is where the worker's store is (SQLite's file, PostgreSQL's URL), `source` its code.
   */
  constructor(path: string, source: URL = SQLITE_RECORD_WORKER) {
    const [entry, options] = workerEntry(source);
    this.#worker = new Worker(entry, { ...options, workerData: { path } });
    this.#worker.unref();
    this.#worker.on('message', (m: WriteReply | ReadyMessage) => {
      if ('ready' in m) this.#ready = true;
      else this.#reply(m);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#exited = new Promise((resolve) => {
      this.#worker.on('exit', (code) => {
        this.#fail(new Error(this.#closing ? 'the record writer thread is closed' : `the record writer thread exited (code ${code})`));
        resolve();
      });
    });
  }

  /**
   * Whether the thread has its connection open. It takes a moment to start (it loads its
   * code); until then the store writes on its own connection, so a flush is never late.
   */
  get ready(): boolean {
    return this.#ready && this.#broken === null;
  }

  /** Why the thread is unusable (it failed, or was closed), or null while it works. */
  get broken(): Error | null {
    return this.#broken;
  }

  /** Resolves once the records are committed; rejects (and sets `broken`) if the thread cannot take them. */
  write(block: RecordBlock, kind: RecordKind = 'keyed'): Promise<void> {
    if (this.#broken !== null) return Promise.reject(this.#broken);
    const seq = ++this.#seq;
    const written = new Promise<void>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      // ref'd while a write is outstanding: a shutdown that awaits it must not see the loop end
      this.#worker.ref();
      try {
        const request: WriteRequest = { seq, block, kind };
        this.#worker.postMessage(request);
      } catch (error) {
        this.#forget(seq);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    this.#outstanding.add(written);
    const forget = () => void this.#outstanding.delete(written);
    written.then(forget, forget);
    return written;
  }

  /** Lets every outstanding write finish (new ones are refused), then ends the thread. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#broken ??= new Error('the record writer thread is closed');
      while (this.#outstanding.size > 0) await Promise.allSettled([...this.#outstanding]);
      await this.#worker.terminate();
    }
    await this.#exited;
  }

  #reply(m: WriteReply): void {
    const w = this.#waiting.get(m.seq);
    if (w === undefined) return;
    this.#forget(m.seq);
    if (m.error === undefined) w.resolve();
    else w.reject(new Error(m.error));
  }

  /** The thread is gone or unusable: every write still waiting is refused. */
  #fail(error: Error): void {
    this.#broken ??= error;
    for (const [seq, w] of [...this.#waiting]) {
      this.#forget(seq);
      w.reject(this.#broken);
    }
  }

  #forget(seq: number): void {
    this.#waiting.delete(seq);
    if (this.#waiting.size === 0) this.#worker.unref();
  }
}
