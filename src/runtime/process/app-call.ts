/**
 * One call proxied to an app, as the handler undici's `dispatch` calls while it parses the
 * app's answer: the head once it has arrived, with the body whole (a declared small
 * length, a HEAD, a 204 or 304, or all of it parsed with the head) or as a ByteStream the
 * caller pulls while the app sends it (the connection paused while the reader is behind).
 * No Readable, AbortController or promise per chunk sits between the parser and the caller.
 */
import type { Dispatcher } from 'undici';
import { NimbusError } from '../../core/errors.ts';
import type { ByteStream } from '../port.ts';

/** Answers up to this length (declared, or all of it parsed with the head) are passed on whole: the common small JSON. */
export const BUFFER_UP_TO = 64 * 1024;
/** A streamed answer's bytes held for a reader that is behind before the app's connection is paused. */
const HIGH_WATER = 64 * 1024;

/** Response headers about the app↔platform connection, not the client's business. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'trailer', 'proxy-authenticate']);

const EMPTY = new Uint8Array(0);

export interface AppAnswer {
  readonly status: number;
  /** Lower-case names, in the app's order, without hop-by-hop ones. */
  readonly headers: Array<[string, string]>;
  /** The whole body; empty when it is streamed. */
  readonly body: Uint8Array;
  readonly stream: ByteStream | null;
}

export interface AppCallEvents {
  /** The answer's head has arrived (with its body whole, or the stream it comes on). Either this or `failed`, once. */
  answered(answer: AppAnswer): void;
  /** No answer came: undici's error, or the reason given to abort(). */
  failed(error: Error): void;
  /** A streamed body is over: null when read to its end, else why it was not. Once, after `answered` with a stream. */
  streamEnded(error: NimbusError | null): void;
  /** What a streamed body's transport failure tells its reader. */
  failure(error: Error): Promise<NimbusError>;
}

/** What every call to one instance shares. */
export interface AppCallLimits {
  readonly maxResponseBytes: number;
  /** A streamed body past maxResponseBytes: this error ends it. */
  readonly overLimit: () => NimbusError;
}

const enum Mode {
  /** Before the head (or after a 1xx one). */
  Head,
  /** Reading the whole body, answered once it is complete. */
  Whole,
  /** Head seen; whole or streamed decided once this parse of the socket's data is over. */
  Probing,
  Streaming,
  /** Answered whole, or failed before an answer. */
  Done,
}

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(error: NimbusError): void;
}

export class AppCall implements Dispatcher.DispatchHandlers, ByteStream {
  #mode = Mode.Head;
  #abort: ((error: Error) => void) | null = null;
  /** Asked to abort before undici connected the request: done once it does. */
  #abortReason: Error | null = null;
  #status = 0;
  #headers: Array<[string, string]> = [];
  /** The body so far (whole) or the part not read yet (streamed). */
  #chunks: Buffer[] = [];
  #queued = 0;
  #received = 0;
  #complete = false;
  /** Why a streamed body failed: undici's error (mapped for the reader) or the over-limit error. */
  #error: Error | null = null;
  #overLimit: NimbusError | null = null;
  #resume: (() => void) | null = null;
  #paused = false;
  #waiter: Waiter | null = null;
  #ended = false;
  #cancelled = false;
  /** What the reader is told of #error (mapped once). */
  #failure: Promise<NimbusError> | null = null;

  constructor(
    private readonly events: AppCallEvents,
    private readonly limits: AppCallLimits,
    /** The request is a HEAD: its answer has no body whatever its length says. */
    private readonly head: boolean,
  ) {}

  /** Ends the call now (its deadline, its instance gone, its reader gone): undici drops the connection. */
  abort(reason: Error): void {
    if (this.#abort !== null) this.#abort(reason);
    else this.#abortReason ??= reason;
  }

  // ------------------------------------------------------------------ undici's side

  onConnect(abort: (error?: Error) => void): void {
    if (this.#abortReason !== null) return abort(this.#abortReason);
    this.#abort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true;
    this.#status = status;
    this.#resume = resume;
    let declared = -1;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString('latin1').toLowerCase();
      if (name === 'content-length') declared = Number(raw[i + 1].toString('latin1'));
      if (HOP.has(name)) continue;
      // latin1: the app's bytes go out as they came (Node writes header strings as latin1)
      this.#headers.push([name, raw[i + 1].toString('latin1')]);
    }
    if (this.head || status === 204 || status === 304 || (declared >= 0 && declared <= BUFFER_UP_TO)) this.#mode = Mode.Whole;
    else {
      this.#mode = Mode.Probing;
      // undici parses all the data of one socket read before microtasks run
      queueMicrotask(() => this.#decide());
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#received += chunk.byteLength;
    if (this.#mode === Mode.Streaming && this.#received > this.limits.maxResponseBytes) {
      this.#overLimit = this.limits.overLimit();
      this.abort(this.#overLimit);
      return false;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#mode === Mode.Streaming) this.#wake();
    if (this.#mode === Mode.Whole || this.#queued < HIGH_WATER) return true;
    this.#paused = true;
    return false;
  }

  onComplete(): void {
    this.#complete = true;
    if (this.#mode === Mode.Whole) {
      this.#mode = Mode.Done;
      this.events.answered({ status: this.#status, headers: this.#headers, body: this.#take(), stream: null });
    } else if (this.#mode === Mode.Streaming) this.#wake();
  }

  onError(error: Error): void {
    if (this.#mode === Mode.Streaming) {
      this.#error = this.#overLimit ?? error;
      this.#wake();
      return;
    }
    if (this.#mode === Mode.Done) return;
    this.#mode = Mode.Done;
    this.#chunks = [];
    this.events.failed(error);
  }

  #decide(): void {
    if (this.#mode !== Mode.Probing) return;
    if (this.#complete && this.#queued <= BUFFER_UP_TO) {
      this.#mode = Mode.Done;
      this.events.answered({ status: this.#status, headers: this.#headers, body: this.#take(), stream: null });
      return;
    }
    this.#mode = Mode.Streaming;
    if (this.#received > this.limits.maxResponseBytes) {
      this.#overLimit = this.limits.overLimit();
      this.#chunks = [];
      this.#queued = 0;
      this.abort(this.#overLimit);
      // a complete answer cannot be aborted: it fails its reader all the same
      this.#error ??= this.#overLimit;
    }
    this.events.answered({ status: this.#status, headers: this.#headers, body: EMPTY, stream: this });
  }

  /** The queued chunks as one body, emptied. */
  #take(): Uint8Array {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#queued = 0;
    if (chunks.length === 0) return EMPTY;
    const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  }

  // ------------------------------------------------------------------ the reader's side (a streamed answer)

  read(): Promise<Uint8Array | null> {
    if (this.#cancelled) return Promise.resolve(null);
    if (this.#chunks.length > 0) {
      const chunk = this.#chunks.shift()!;
      this.#queued -= chunk.byteLength;
      if (this.#paused && this.#queued < HIGH_WATER) {
        this.#paused = false;
        this.#resume?.();
      }
      return Promise.resolve(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    if (this.#error !== null) return this.#failed(this.#error);
    if (this.#complete) {
      this.#end(null);
      return Promise.resolve(null);
    }
    if (this.#waiter !== null) return Promise.reject(new NimbusError('NIMBUS_ERR_INTERNAL', 'a stream has one reader at a time'));
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  cancel(reason: NimbusError): void {
    this.#cancelled = true;
    this.#chunks = [];
    this.#queued = 0;
    this.abort(reason);
    this.#end(reason);
  }

  async #failed(error: Error): Promise<never> {
    this.#failure ??= error === this.#overLimit ? Promise.resolve(this.#overLimit) : this.events.failure(error);
    const failure = await this.#failure;
    this.#end(failure);
    throw failure;
  }

  #end(error: NimbusError | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.events.streamEnded(error);
  }

  #wake(): void {
    const w = this.#waiter;
    if (w === null) return;
    this.#waiter = null;
    this.read().then(w.resolve, w.reject);
  }
}
