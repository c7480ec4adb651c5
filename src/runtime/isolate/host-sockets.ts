/**
 * The host's ends of the WebSockets functions accepted in one isolate (see protocol.ts).
 * A client message goes in as one IN_WS_MESSAGE; the shim acknowledges each once its
 * listeners ran, and past UNACKED_MAX unhandled ones the peer says "stop" (the gateway
 * pauses the client's socket), so a flooding client waits in the kernel, not in memory.
 * What the function sends before the client is connected is queued, bounded by bytes.
 */
import type { SocketPeer, SocketSink } from '../port.ts';
import { WS_TAKEN_BATCH } from './protocol.ts';

/** Client messages handed to the isolate and not yet handled, at most, before the client is paused. */
export const UNACKED_MAX = 8;
/** Bytes the function may send before the client is connected (the handshake is under way). */
const EARLY_MAX = 1024 * 1024;

export interface SocketWire {
  message(id: number, data: string | Uint8Array): void;
  /** IN_WS_TAKEN: `bytes` more of what the function sent were taken. */
  taken(id: number, bytes: number): void;
  closed(id: number, code: number, reason: string): void;
}

export class IsolateSocket implements SocketPeer {
  onDrain: (() => void) | null = null;
  #sink: SocketSink | null = null;
  #early: Array<string | Uint8Array> | null = [];
  #earlyBytes = 0;
  #unacked = 0;
  #over = false;
  #bytesIn = 0;
  #bytesOut = 0;
  /** Bytes taken from the function and not yet confirmed to it. */
  #untold = 0;

  constructor(
    readonly id: number,
    readonly seq: number,
    /** Opened by the function (`new WebSocket(url)`): closed when its invocation ends. */
    readonly outbound: boolean,
    private readonly wire: SocketWire,
    /** The socket is over (either side closed it): the invocation ends. */
    private readonly onOver: (socket: IsolateSocket) => void,
  ) {}

  get bytesIn(): number {
    return this.#bytesIn;
  }

  get bytesOut(): number {
    return this.#bytesOut;
  }

  get over(): boolean {
    return this.#over;
  }

  attach(sink: SocketSink): void {
    if (this.#over || this.#sink !== null) return;
    this.#sink = sink;
    const early = this.#early ?? [];
    this.#early = null;
    for (const m of early) sink.message(m);
    if (this.#pendingClose !== null) sink.close(this.#pendingClose[0], this.#pendingClose[1]);
  }

  send(data: string | Uint8Array): boolean {
    if (this.#over) return false;
    this.#bytesIn += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    this.#unacked++;
    this.wire.message(this.id, data);
    return this.#unacked < UNACKED_MAX;
  }

  /** OUT_WS_ACK. */
  ack(): void {
    if (this.#unacked === 0) return;
    this.#unacked--;
    if (this.#unacked === UNACKED_MAX - 1) this.onDrain?.();
  }

  close(code: number, reason: string): void {
    if (this.#over) return;
    this.#over = true;
    this.#early = null;
    this.wire.closed(this.id, code, reason);
    this.onOver(this);
  }

  /** OUT_WS_SEND: false when it cannot be taken (too much sent before the client was connected). */
  fromFunction(data: string | Uint8Array): boolean {
    if (this.#over) return true;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    this.#untold += size;
    if (this.#untold >= WS_TAKEN_BATCH) {
      this.wire.taken(this.id, this.#untold);
      this.#untold = 0;
    }
    if (this.#sink !== null) {
      if (this.#sink.message(data)) this.#bytesOut += size;
      return true;
    }
    this.#bytesOut += size;
    this.#earlyBytes += typeof data === 'string' ? data.length * 3 : data.byteLength;
    if (this.#earlyBytes > EARLY_MAX) return false;
    this.#early?.push(data);
    return true;
  }

  #pendingClose: [number, string] | null = null;

  /** OUT_WS_CLOSE, or the platform closing it (1011 when the instance stopped): the client is told; `close` follows when it has. */
  closeClient(code: number, reason: string): void {
    if (this.#over) return;
    if (this.#sink !== null) this.#sink.close(code, reason);
    else this.#pendingClose ??= [code, reason];
  }
}

/** Every WebSocket of one isolate, by the number the shim gave it. */
export class SocketTable {
  readonly #sockets = new Map<number, IsolateSocket>();

  constructor(private readonly wire: SocketWire) {}

  open(id: number, seq: number, onOver: (socket: IsolateSocket) => void, outbound = false): IsolateSocket | null {
    if (!Number.isSafeInteger(id) || id <= 0 || this.#sockets.has(id)) return null;
    const s = new IsolateSocket(id, seq, outbound, this.wire, (sock) => {
      this.#sockets.delete(sock.id);
      onOver(sock);
    });
    this.#sockets.set(id, s);
    return s;
  }

  get(id: unknown): IsolateSocket | undefined {
    return this.#sockets.get(Number(id));
  }

  /** Invocation `seq` is over: the sockets it opened are closed (1001). */
  closeOf(seq: number): void {
    for (const s of [...this.#sockets.values()]) if (s.outbound && s.seq === seq) s.closeClient(1001, 'the invocation is over');
  }

  /** The isolate is gone: every socket's client is closed with `code`. */
  closeAll(code: number, reason: string): void {
    for (const s of [...this.#sockets.values()]) s.closeClient(code, reason);
  }
}
