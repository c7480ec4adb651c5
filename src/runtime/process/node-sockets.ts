/**
 * The WebSockets a node function's process accepted (node-worker/websocket.mjs), on the
 * host: the shared HostSocket ends (host-sockets.ts) wired to the process's IPC channel.
 * Client messages go down as `ws-message` (text as strings, bytes as bytes: the channel's
 * advanced serialization carries both), each acknowledged by `ws-ack` once the function's
 * listeners ran; what the function sends comes up as `ws-send` and is confirmed back in
 * batches (`ws-taken`), the worker letting at most WS_SEND_WINDOW go unconfirmed. A socket
 * closed on the platform's side (`ws-close` down) is over once the worker says its close
 * listeners ran (`ws-closed`), so what they log is the invocation's. What the
 * process sends is not trusted: an unknown socket number counts as none, and data that is
 * not text or bytes closes the socket (1011).
 *
 * The function's own `new WebSocket(url, protocols)` comes up as `ws-connect` (the number the
 * worker gave it, its invocation, the URL, the subprotocols): the platform opens it
 * (outbound-sockets.ts, the egress rules of fetch) and answers `ws-opened` (the subprotocol)
 * or `ws-refused` (why); then it is relayed as an accepted socket is, with the same
 * messages, and closed (1001) when the call that opened it is over. At most
 * MAX_OUTBOUND_WEBSOCKETS are opening or open at once; past it one is refused before any
 * connection is tried. The CPU limit is the instance's to apply (busy/handled): it is told,
 * per call, when the listeners of its sockets' messages (accepted or outbound) and of its
 * accepted socket's close have work waiting, and how much is left after each.
 */
import { SocketTable, type HostSocket } from '../host-sockets.ts';
import { MAX_OUTBOUND_WEBSOCKETS, openOutbound } from '../outbound-sockets.ts';
import type { OutboundSocketConnect } from '../port.ts';

/** Bytes a function may send and the platform not yet have confirmed taking (told to the worker at load). */
export const WS_SEND_WINDOW = 8 * 1024 * 1024;
/** The host confirms taken bytes once this many have gathered. */
const WS_TAKEN_BATCH = 64 * 1024;

export type SocketFromWorker =
  | { t: 'ws-connect'; id: number; invocationId: unknown; url: unknown; protocols: unknown }
  | { t: 'ws-send'; id: number; data: unknown }
  | { t: 'ws-close'; id: number; code: unknown; reason: unknown }
  | { t: 'ws-ack'; id: number }
  | { t: 'ws-closed'; id: number };

export function isSocketMessage(m: { t: string }): m is SocketFromWorker {
  return m.t === 'ws-connect' || m.t === 'ws-send' || m.t === 'ws-close' || m.t === 'ws-ack' || m.t === 'ws-closed';
}

/** What the sockets need of their instance. */
export interface SocketProcess {
  /** Sends a message to the worker (dropped once it is gone). */
  send(message: object): void;
  /** A socket of call `callId` has a message (or its close) whose listeners have not run yet, none were waiting before (or the close came). */
  busy(callId: number): void;
  /** One of them has been handled (or dropped with its socket): `more` are still waiting, on all of the call's sockets. */
  handled(callId: number, more: number): void;
  /** Call `callId`'s socket is over (either side closed it). */
  over(callId: number): void;
  /** The call in flight (or in its waitUntil work) with this invocation id, or null. */
  callOf(invocationId: unknown): number | null;
  /** Opens the function's outbound WebSockets (absent: they are refused). */
  readonly connect: OutboundSocketConnect | undefined;
}

export class NodeSockets {
  private readonly table: SocketTable;
  /** Messages handed to the worker and not yet acknowledged (accepted and outbound sockets), by socket. */
  private readonly waiting = new Map<number, number>();
  /** Those messages and the close listeners not yet run, summed over each call's sockets, by call. */
  private readonly load = new Map<number, number>();
  /** Sockets closed whose close listeners have not run yet: their call, by socket. */
  private readonly closing = new Map<number, number>();
  /** Outbound sockets being opened, by number. */
  private readonly connecting = new Set<number>();
  /** Outbound sockets open (not over yet), by number. */
  private readonly outbound = new Set<number>();

  constructor(private readonly process: SocketProcess) {
    this.table = new SocketTable(
      {
        message: (id, data) => {
          const socket = this.table.get(id);
          if (socket !== undefined) {
            this.waiting.set(id, (this.waiting.get(id) ?? 0) + 1);
            if (this.add(socket.seq, 1) === 1) process.busy(socket.seq);
          }
          process.send({ t: 'ws-message', id, data });
        },
        closed: (id, code, reason) => process.send({ t: 'ws-close', id, code, reason }),
        taken: (id, bytes) => process.send({ t: 'ws-taken', id, bytes }),
      },
      WS_TAKEN_BATCH,
    );
  }

  /** The socket call `callId` answered with, numbered `id` by the worker; null when the number cannot be used. */
  open(callId: number, id: unknown): HostSocket | null {
    return this.table.open(Number(id), callId, (socket) => {
      // the worker is told (ws-close): the call is over once its close listeners ran, limited as a message's
      this.add(socket.seq, 1 - (this.waiting.get(socket.id) ?? 0));
      this.waiting.delete(socket.id);
      this.closing.set(socket.id, socket.seq);
      this.process.busy(socket.seq);
    });
  }

  /** `ws-connect`: the socket is opened for the call of its invocation, if that call is this instance's and not over. */
  private connect(m: { id: number; invocationId: unknown; url: unknown; protocols: unknown }): void {
    const id = Number(m.id);
    const refuse = (why: string) => this.process.send({ t: 'ws-refused', id, message: why });
    if (!Number.isSafeInteger(id) || id <= 0 || this.table.get(id) !== undefined || this.connecting.has(id)) return refuse('bad socket number');
    const callId = this.process.callOf(m.invocationId);
    if (callId === null) return refuse('a WebSocket is opened by an invocation, and this one is over');
    if (this.connecting.size + this.outbound.size >= MAX_OUTBOUND_WEBSOCKETS) {
      return refuse(`too many outbound WebSockets: at most ${MAX_OUTBOUND_WEBSOCKETS} may be opening or open at once per instance`);
    }
    this.connecting.add(id);
    const open = () => {
      const socket = this.process.callOf(m.invocationId) === callId ? this.table.open(id, callId, () => this.outboundOver(id, callId), true) : null;
      if (socket !== null) this.outbound.add(id);
      return socket;
    };
    openOutbound(this.process.connect, m.url, m.protocols, open).then(
      (protocol) => {
        this.connecting.delete(id);
        this.process.send({ t: 'ws-opened', id, protocol });
      },
      (error: unknown) => {
        this.connecting.delete(id);
        refuse(error instanceof Error ? error.message : String(error));
      },
    );
  }

  /** An outbound socket is over: the messages it left unacknowledged are no longer waited for. */
  private outboundOver(id: number, callId: number): void {
    this.outbound.delete(id);
    const n = this.waiting.get(id) ?? 0;
    this.waiting.delete(id);
    if (n > 0) this.process.handled(callId, this.add(callId, -n));
  }

  /** Messages and closes of call `callId`'s sockets whose listeners have not run yet. */
  busyOf(callId: number): number {
    return this.load.get(callId) ?? 0;
  }

  private add(callId: number, delta: number): number {
    const n = Math.max(0, (this.load.get(callId) ?? 0) + delta);
    if (n === 0) this.load.delete(callId);
    else this.load.set(callId, n);
    return n;
  }

  /** Call `callId` is over: the sockets it opened are closed (1001). */
  closeOf(callId: number): void {
    this.table.closeOf(callId);
  }

  onMessage(m: SocketFromWorker): void {
    if (m.t === 'ws-connect') return this.connect(m);
    if (m.t === 'ws-closed') {
      const callId = this.closing.get(m.id);
      if (callId === undefined) return;
      this.closing.delete(m.id);
      this.process.handled(callId, this.add(callId, -1));
      this.process.over(callId);
      return;
    }
    const socket = this.table.get(m.id);
    if (socket === undefined) return;
    if (m.t === 'ws-ack') {
      socket.ack();
      const n = this.waiting.get(m.id) ?? 0;
      if (n === 0) return;
      this.waiting.set(m.id, n - 1);
      this.process.handled(socket.seq, this.add(socket.seq, -1));
    } else if (m.t === 'ws-send') {
      const data = typeof m.data === 'string' ? m.data : m.data instanceof Uint8Array ? m.data : m.data instanceof ArrayBuffer ? new Uint8Array(m.data) : null;
      if (data === null) socket.closeClient(1011, 'the function sent a message that is not text or bytes');
      else if (!socket.fromFunction(data)) socket.closeClient(1009, 'the function sent too much before the client was connected');
    } else socket.closeClient(Number(m.code), String(m.reason ?? ''));
  }

  /** The process is gone: every client is closed with `code`. */
  closeAll(code: number, reason: string): void {
    this.closing.clear();
    this.waiting.clear();
    this.load.clear();
    this.table.closeAll(code, reason);
  }
}
