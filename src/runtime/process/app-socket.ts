/**
 * A WebSocket upgrade to an app instance (app-instance.ts): the platform opens a WebSocket
 * client (ws) to the app over a connection from the instance's own dial path (its connector
 * in a network namespace, else the host's loopback), with the client's path, query,
 * subprotocols and end-to-end headers. When the app answers 101 the call's answer is a 101
 * with a SocketPeer bridged to that connection (the gateway relays it to the client, as for
 * a function's socket); any other answer goes back as a plain HTTP response. The call lasts
 * until the socket closes: the app's close, the client's, the call's deadline (1011), or
 * the instance's death (1011, the record saying why).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Deadline } from '../../core/deadlines.ts';
import { NimbusError } from '../../core/errors.ts';
import type { HttpRequestData, HttpResponseData, InstanceResult, SocketPeer, SocketSink, StreamEnd } from '../port.ts';

/** Client bytes waiting towards an app that is not reading before the client is read no more (send() false until onDrain). */
const APP_BUFFER_HIGH = 256 * 1024;

/** Request headers that belong to the platform↔app connection or that the WebSocket client sets itself. */
const NOT_FORWARDED = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'content-length',
  'proxy-authorization',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

/** Response headers of the app's 101 (or refusal) that are about its connection to the platform. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'trailer', 'proxy-authenticate', 'sec-websocket-accept', 'sec-websocket-extensions']);

export function isWebSocketUpgrade(request: HttpRequestData): boolean {
  if (request.method !== 'GET') return false;
  for (const [k, v] of request.headers) if (k.length === 7 && k.toLowerCase() === 'upgrade') return v.toLowerCase() === 'websocket';
  return false;
}

/** What a socket needs of its instance. */
export interface SocketHost {
  readonly functionName: string;
  readonly maxResponseBytes: number;
  /** A connection to the app, as its HTTP connections are made. */
  dial(): Promise<Socket>;
  /** Why the connection to the app was lost: the instance's death when it is dying, else null. */
  lost(): Promise<NimbusError | null>;
  over(socket: AppSocket): void;
}

/** One WebSocket call in flight on an app instance. */
export class AppSocket implements SocketPeer {
  bytesIn = 0;
  bytesOut = 0;
  onDrain: (() => void) | null = null;
  deadline: Deadline | null = null;
  private ws: WebSocket | null = null;
  private sink: SocketSink | null = null;
  /** The app's messages that came before the client was attached. */
  private early: Array<string | Uint8Array> = [];
  private behind = false;
  /** The client's side closed first: the app's side closing after it, however it does, ends the call well. */
  private clientClosed = false;
  /** How the socket ended before the client was attached: told to it when it is. */
  private endedWith: [number, string] | null = null;
  private settle: ((end: StreamEnd) => void) | null = null;
  private done = false;
  /** Before the answer: how the call fails. */
  private reject: ((error: NimbusError) => void) | null = null;
  /** Why it ended, when it ended badly. */
  private failure: NimbusError | null = null;

  constructor(
    private readonly host: SocketHost,
    readonly invocationId: string,
  ) {}

  /** Opens the app's side; resolves with the call's answer (a 101 with this peer, or the app's refusal). */
  async open(request: HttpRequestData): Promise<InstanceResult> {
    const [{ WebSocket: Client }, connection] = await Promise.all([import('ws'), this.host.dial()]);
    if (this.done) {
      // its deadline passed, or the instance went, while it was dialing
      connection.destroy();
      throw this.failure ?? new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `${this.host.functionName}: the app instance was stopped`);
    }
    const protocols: string[] = [];
    const headers: Record<string, string> = {};
    for (const [k, v] of request.headers) {
      const name = k.toLowerCase();
      if (name === 'sec-websocket-protocol') protocols.push(...v.split(',').map((p) => p.trim()).filter((p) => p !== ''));
      if (NOT_FORWARDED.has(name)) continue;
      headers[name] = headers[name] === undefined ? v : `${headers[name]}${name === 'cookie' ? '; ' : ', '}${v}`;
    }
    const url = new URL(request.url);
    const ws = new Client(`ws://127.0.0.1${url.pathname}${url.search}`, protocols, {
      createConnection: () => connection,
      headers,
      perMessageDeflate: false,
      maxPayload: this.host.maxResponseBytes,
      followRedirects: false,
    });
    this.ws = ws;
    return new Promise<InstanceResult>((resolve, reject) => {
      this.reject = reject;
      let head: Array<[string, string]> = [];
      ws.on('upgrade', (res) => (head = headersOf(res)));
      ws.on('unexpected-response', (req, res) => {
        this.reject = null;
        void this.refusal(res).then(
          (response) => (this.finish(null), resolve({ mode: 'fetch', response })),
          (error: NimbusError) => {
            // ended meanwhile (its deadline, the instance's death): that is the reason
            const failure = this.failure ?? error;
            this.finish(failure);
            reject(failure);
          },
        );
        res.once('close', () => req.destroy());
      });
      ws.once('open', () => {
        this.reject = null;
        // read no more of the app until the client is there
        ws.pause();
        const streamEnd = new Promise<StreamEnd>((r) => (this.settle = r));
        const response: HttpResponseData = { status: 101, statusText: 'Switching Protocols', headers: head, body: new Uint8Array(0), webSocket: this };
        resolve({ mode: 'fetch', response, streamEnd });
      });
      ws.on('message', (data, isBinary) => {
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        const message = isBinary ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.toString('utf8');
        if (this.sink === null) return void this.early.push(message);
        this.toClient(message);
      });
      // a close always follows an error
      ws.on('error', () => undefined);
      ws.once('close', (code, reason) => void this.appClosed(code, reason.toString('utf8')));
    });
  }

  /** The app's answer to an upgrade it refused, read whole (up to the payload limit). */
  private refusal(res: IncomingMessage): Promise<HttpResponseData> {
    const limit = this.host.maxResponseBytes;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > limit) {
          res.destroy();
          reject(new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.host.functionName}: the app's answer to a WebSocket upgrade passed ${limit} bytes`, { extra: { limit } }));
        } else chunks.push(chunk);
      });
      res.once('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 502, statusText: res.statusMessage ?? '', headers: headersOf(res), body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) });
      });
      const cut = () => reject(new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.host.functionName}: the app's answer to a WebSocket upgrade was cut off`));
      res.once('error', cut);
      res.once('close', () => {
        if (!res.complete) cut();
      });
    });
  }

  private toClient(message: string | Uint8Array): void {
    const sink = this.sink;
    if (sink === null || !sink.message(message)) return;
    this.bytesOut += typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
    // a client behind on the app's messages: the app is read no more until it catches up
    if (sink.whenDrained?.(this.resumeApp) === true) this.ws?.pause();
  }

  private readonly resumeApp = (): void => {
    if (!this.done) this.ws?.resume();
  };

  // ------------------------------------------------------------------ the client's side (SocketPeer)

  attach(sink: SocketSink): void {
    this.sink = sink;
    const early = this.early;
    this.early = [];
    for (const m of early) this.toClient(m);
    if (this.endedWith !== null) return sink.close(...this.endedWith);
    if (!this.done && sink.whenDrained?.(this.resumeApp) !== true) this.ws?.resume();
  }

  send(data: string | Uint8Array): boolean {
    const ws = this.ws;
    if (this.done || ws === null || ws.readyState !== ws.OPEN) return false;
    this.bytesIn += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    ws.send(data, () => this.written());
    if (ws.bufferedAmount < APP_BUFFER_HIGH) return true;
    this.behind = true;
    return false;
  }

  private written(): void {
    if (!this.behind || this.ws === null || this.ws.bufferedAmount >= APP_BUFFER_HIGH / 2) return;
    this.behind = false;
    this.onDrain?.();
  }

  /** The client's side closed: the app gets its code and reason (a lost client: the connection dropped). */
  close(code: number, reason: string): void {
    const ws = this.ws;
    if (this.done || ws === null || ws.readyState >= ws.CLOSING) return;
    this.clientClosed = true;
    try {
      if (code === 1005) ws.close();
      else ws.close(code, reason);
    } catch {
      // 1006 (the client's connection was lost), or a code that cannot be sent
      ws.terminate();
    }
  }

  // ------------------------------------------------------------------ endings

  private async appClosed(code: number, reason: string): Promise<void> {
    if (this.done) return;
    if (this.reject !== null) {
      // no answer to the upgrade: the app dropped it, or it is dying
      const error = (await this.host.lost()) ?? new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.host.functionName}: the app closed the connection without answering the WebSocket upgrade`);
      const reject = this.reject;
      this.finish(error);
      reject?.(error);
      return;
    }
    if (this.settle === null) return;
    if (code === 1006 && !this.clientClosed) {
      // the connection was lost without a close frame: the app's death, if it is dying
      const death = await this.host.lost();
      if (death !== null) return this.end(1011, 'the app stopped', death);
      return this.end(1006, '', new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.host.functionName}: the app dropped the WebSocket connection without closing it`));
    }
    this.end(code, reason, null);
  }

  /** The instance died: the client gets 1011 and the invocation its death. */
  instanceGone(error: NimbusError): void {
    if (this.reject !== null) {
      const reject = this.reject;
      this.finish(error);
      reject(error);
      return;
    }
    this.end(1011, 'the app stopped', error);
  }

  /** The call's deadline passed: the socket is closed on both sides. */
  timeOut(error: NimbusError): void {
    this.instanceGone(error);
  }

  /** The instance is being stopped (retired, the platform stopping): both sides get 1001. */
  stopping(): void {
    if (this.done) return;
    if (this.reject !== null || this.settle === null) return this.instanceGone(new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `${this.host.functionName}: the app instance was stopped`));
    this.end(1001, 'the app instance is stopping', null);
  }

  private end(code: number, reason: string, error: NimbusError | null): void {
    if (this.done) return;
    if (this.sink !== null) this.sink.close(code, reason);
    else this.endedWith = [code, reason];
    this.finish(error);
  }

  private finish(error: NimbusError | null): void {
    if (this.done) return;
    this.done = true;
    this.failure = error;
    this.reject = null;
    const ws = this.ws;
    if (ws !== null && ws.readyState !== ws.CLOSED) {
      if (error === null && ws.readyState === ws.OPEN) ws.close(1001, 'the app instance is stopping');
      else ws.terminate();
    }
    this.host.over(this);
    this.settle?.({ error });
    this.settle = null;
  }
}

function headersOf(res: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!HOP.has(name)) out.push([name, raw[i + 1]]);
  }
  return out;
}
