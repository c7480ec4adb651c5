/**
 * Invocation records are written on a thread of their own (both stores: SQLite's worker is
 * sqlite/record-writer-worker.ts, PostgreSQL's postgres/pg-record-writer-worker.ts; both
 * serve these messages through record-writer-serve.ts). At full load their inserts
 * were the largest single cost of observability on the main thread (~10 % of it; see
 * bench/README.md, "Hot path"), and the main thread is what bounds throughput. The thread
 * has its own connection to the store (on SQLite, with WAL, the main connection's readers
 * never wait for it; writers do, so SQLite's thread commits in chunks with a pause between them).
 *
 * If the thread cannot start, dies, or is closed, `broken` is set and the store writes on
 * its own connection again, the same way (each store's worker and fallback share one writer).
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { RecordBlock } from './record-block.ts';
import type { RecordKind } from './record-rows.ts';

export interface WriteRequest {
  readonly seq: number;
  readonly block: RecordBlock;
  readonly kind: RecordKind;
}
export interface WriteReply {
  readonly seq: number;
  readonly error?: string;
}
/** Sent once, when the connection is open: the thread takes writes from then on. */
export interface ReadyMessage {
  readonly ready: true;
}

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

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
  constructor(path: string, source: URL) {
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

/** The record writer thread, made when records are first written; null when there can be none. */
export class RecordThreadSlot {
  #thread: RecordWriterThread | null = null;
  #failed = false;
  #closed = false;

  /** `path`: the worker's store (a file, a URL; null: no thread); `source`: the worker's code. */
  constructor(
    private readonly path: string | null,
    private readonly source: URL,
  ) {}

  /** A working, started thread, or null: then the store's own connection writes (and a thread is started). */
  get(): RecordWriterThread | null {
    if (this.path === null || this.#failed || this.#closed) return null;
    if (this.#thread === null) {
      try {
        this.#thread = new RecordWriterThread(this.path, this.source);
      } catch {
        this.#failed = true; // no worker here (e.g. no tsx to load it): write in this thread
        return null;
      }
    }
    return this.#thread.ready ? this.#thread : null;
  }

  /**
   * Writes a block on the thread, or with `here` (the store's own connection) when there is
   * no working thread. A write the thread refused is reported; one it never finished (it
   * died, or was closed) is written with `here`, which recognises what the thread did
   * commit (by id, or by segment name) and does not count it twice.
   */
  async write(block: RecordBlock, kind: RecordKind, here: () => Promise<void> | void): Promise<void> {
    if (block.count === 0) return;
    const thread = this.get();
    if (thread !== null) {
      try {
        await thread.write(block, kind);
        return;
      } catch (error) {
        if (thread.broken === null) throw error;
      }
    }
    await here();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#thread?.close();
  }
}
