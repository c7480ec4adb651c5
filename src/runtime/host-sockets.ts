/**
 * The host's ends of the WebSockets functions accepted in one instance, for runtimes whose
 * function side numbers its sockets and talks to the host in messages: an isolate's shim
 * (isolate/protocol.ts) or a node process's worker (process/node-sockets.ts). A client
 * message goes in as one message; the function side acknowledges each once its listeners
 * ran, and past UNACKED_MAX unhandled ones the peer says "stop" (the gateway pauses the
 * client's socket), so a flooding client waits in the kernel, not in memory. What the
 * function sends is confirmed to it in batches (its side bounds what goes unconfirmed).
 * What the function sends before the client is connected is queued, bounded by bytes.
 */
import type { SocketPeer, SocketSink } from './port.ts';

/** Client messages handed to the function and not yet handled, at most, before the client is paused. */
export const UNACKED_MAX = 8;
/** Bytes the function may send before the client is connected (the handshake is under way). */
const EARLY_MAX = 1024 * 1024;

export interface SocketWire {
  message(id: number, data: string | Uint8Array): void;
  /** `bytes` more of what the function sent were taken (at least the table's batch at a time). */
  taken(id: number, bytes: number): void;
  closed(id: number, code: number, reason: string): void;
}

export class HostSocket implements SocketPeer {
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
    /** Taken bytes are confirmed to the function once this many have gathered. */
    private readonly takenBatch: number,
    /** The socket is over (either side closed it): the invocation ends. */
    private readonly onOver: (socket: HostSocket) => void,
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

  /** The function side handled one client message. */
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

  /** The function sent a message: false when it cannot be taken (too much sent before the client was connected). */
  fromFunction(data: string | Uint8Array): boolean {
    if (this.#over) return true;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    this.#untold += size;
    if (this.#untold >= this.takenBatch) {
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

  /** The function closed the socket, or the platform closing it (1011 when the instance stopped): the client is told; `close` follows when it has. */
  closeClient(code: number, reason: string): void {
    if (this.#over) return;
    if (this.#sink !== null) this.#sink.close(code, reason);
    else this.#pendingClose ??= [code, reason];
  }
}

/** Every WebSocket of one instance, by the number its function side gave it. */
export class SocketTable {
  readonly #sockets = new Map<number, HostSocket>();

  constructor(
    private readonly wire: SocketWire,
    /** Taken bytes are confirmed to the function once this many have gathered. */
    private readonly takenBatch: number,
  ) {}

  open(id: number, seq: number, onOver: (socket: HostSocket) => void, outbound = false): HostSocket | null {
    if (!Number.isSafeInteger(id) || id <= 0 || this.#sockets.has(id)) return null;
    const s = new HostSocket(id, seq, outbound, this.wire, this.takenBatch, (sock) => {
      this.#sockets.delete(sock.id);
      onOver(sock);
    });
    this.#sockets.set(id, s);
    return s;
  }

  get(id: unknown): HostSocket | undefined {
    return this.#sockets.get(Number(id));
  }

  /** Outbound sockets open (the function's own `new WebSocket`). */
  outboundCount(): number {
    let n = 0;
    for (const s of this.#sockets.values()) if (s.outbound) n++;
    return n;
  }

  /** Invocation `seq` is over: the sockets it opened are closed (1001). */
  closeOf(seq: number): void {
    for (const s of [...this.#sockets.values()]) if (s.outbound && s.seq === seq) s.closeClient(1001, 'the invocation is over');
  }

  /** The instance is gone: every socket's client is closed with `code`. */
  closeAll(code: number, reason: string): void {
    for (const s of [...this.#sockets.values()]) s.closeClient(code, reason);
  }
}
