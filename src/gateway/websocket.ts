/**
 * WebSocket upgrades on `/fn/<name>/<path>`: the request goes to the function as any
 * request (with its Upgrade and Sec-WebSocket-* headers); when it answers 101 with a
 * WebSocketPair's client end, the handshake is completed here (ws) and frames are relayed
 * both ways until either side closes. Any other answer is sent as a plain HTTP response.
 * Limits: messages past `maxMessageBytes` close the socket with 1009 (either way), no
 * message either way for `idleTimeoutMs` closes it with 1000 "idle timeout", a client
 * that does not read what the function sends has its connection cut past SEND_BUFFER_MAX
 * bytes waiting (the function sees 1008), and the platform's shutdown closes every socket with 1001.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { NimbusError, toProblem } from '../core/errors.ts';
import { collect } from '../dispatch/byte-streams.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { HttpRequestData, HttpResponseData, SocketPeer } from '../runtime/port.ts';
import { HOP_BY_HOP, parseFunctionPath, problemExtras, responseHead, SET_BY_GATEWAY } from './function-route.ts';

/** Bytes the function may have waiting towards a client that is not reading before its connection is cut. */
export const SEND_BUFFER_MAX = 16 * 1024 * 1024;
/** Past this many bytes waiting towards the client, a peer that asks (whenDrained) is told to wait. */
export const SEND_BUFFER_BEHIND = 1024 * 1024;

export interface WebSocketRouteDeps {
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly payloadLimitBytes: number;
  readonly defaultHost: string;
  readonly maxMessageBytes: number;
  readonly idleTimeoutMs: number;
}

export interface WebSocketRoute {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every live socket (the platform is shutting down: 1001). */
  closeAll(code: number, reason: string): void;
}

/** Headers of a function's 101 that the handshake itself sets. */
const HANDSHAKE = new Set(['sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-protocol', 'upgrade', 'connection']);

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

function rawAnswer(socket: Duplex, status: number, head: string[], body: Uint8Array | string): void {
  if (socket.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i < head.length; i += 2) {
    if (head[i].toLowerCase() !== 'content-length') text += `${head[i]}: ${head[i + 1]}\r\n`;
  }
  text += `content-length: ${bytes.byteLength}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(text, 'latin1'), bytes]));
}

function rawProblem(socket: Duplex, error: unknown, url: string, extras: Record<string, unknown> = {}, more: string[] = []): void {
  const problem = { ...toProblem(error, url), ...extras };
  rawAnswer(socket, problem.status, ['content-type', 'application/problem+json', ...more], JSON.stringify(problem));
}

export function createWebSocketRoute(deps: WebSocketRouteDeps): WebSocketRoute {
  const live = new Set<WebSocket>();
  /** The function's own headers and subprotocol for each handshake under way. */
  const answers = new WeakMap<IncomingMessage, { headers: string[]; protocol: string | null }>();
  let server: WebSocketServer | null = null;
  let loading: Promise<WebSocketServer> | null = null;

  // ws loads on the first upgrade, not at start
  const wss = (): Promise<WebSocketServer> =>
    (loading ??= import('ws').then((mod) => {
      server = new mod.WebSocketServer({
        noServer: true,
        maxPayload: deps.maxMessageBytes,
        perMessageDeflate: false,
        clientTracking: false,
        handleProtocols: (_protocols, req) => answers.get(req)?.protocol ?? false,
      });
      server.on('headers', (headers, req) => {
        const extra = answers.get(req)?.headers ?? [];
        for (let i = 0; i < extra.length; i += 2) headers.push(`${extra[i]}: ${extra[i + 1]}`);
      });
      return server;
    }));

  const relay = (ws: WebSocket, peer: SocketPeer, done: () => void): void => {
    live.add(ws);
    // one timer per socket, re-armed when it fires after activity (not reset on every message)
    let idle: TimerHandle | null = null;
    let lastActive = deps.clock.monotonic();
    const arm = (ms: number) => {
      idle = deps.clock.setTimer(ms, () => {
        const quiet = deps.clock.monotonic() - lastActive;
        if (quiet >= deps.idleTimeoutMs) closeWith(1000, 'idle timeout');
        else arm(deps.idleTimeoutMs - quiet);
      });
    };
    const touch = () => {
      lastActive = deps.clock.monotonic();
    };
    const closeWith = (code: number, reason: string) => {
      try {
        // 1005: the other side closed without a code, passed on as a close frame without one
        if (code === 1005) ws.close();
        else ws.close(code, reason);
      } catch {
        ws.terminate();
      }
    };
    /** Why the platform cut the connection itself (a client that does not read), told to the function instead of 1006. */
    let cut: [number, string] | null = null;
    /** A peer waiting for the client to catch up (whenDrained). */
    let drained: (() => void) | null = null;
    const sent = () => {
      if (drained === null || ws.bufferedAmount > SEND_BUFFER_BEHIND / 4) return;
      const go = drained;
      drained = null;
      go();
    };
    arm(deps.idleTimeoutMs);
    peer.attach({
      message: (data) => {
        if (ws.readyState !== ws.OPEN) return false;
        const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
        if (size > deps.maxMessageBytes) {
          closeWith(1009, `the function sent a message over ${deps.maxMessageBytes} bytes`);
          return false;
        }
        if (ws.bufferedAmount > SEND_BUFFER_MAX) {
          // a close frame would wait behind what the client does not read: cut the connection, free the buffer now
          cut = [1008, 'the client is not reading the messages sent to it'];
          ws.terminate();
          return false;
        }
        touch();
        // only a send that leaves a backlog is followed (its write is what a waiting peer waits for)
        ws.send(data, ws.bufferedAmount + size > SEND_BUFFER_BEHIND / 4 ? sent : undefined);
        return true;
      },
      close: (code, reason) => closeWith(code, reason),
      whenDrained: (go) => {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount <= SEND_BUFFER_BEHIND) return false;
        drained = go;
        return true;
      },
    });
    peer.onDrain = () => ws.resume();
    ws.on('message', (data, isBinary) => {
      touch();
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const ok = peer.send(isBinary ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.toString('utf8'));
      if (!ok) ws.pause();
    });
    // a close (with 1006 when abnormal) always follows an error
    ws.on('error', () => undefined);
    ws.once('close', (code, reason) => {
      idle?.cancel();
      live.delete(ws);
      peer.close(cut?.[0] ?? code, cut?.[1] ?? reason.toString('utf8'));
      done();
    });
  };

  const handle = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = req.url ?? '/';
    socket.on('error', () => undefined);
    const target = url.startsWith('/fn/') ? parseFunctionPath(url) : null;
    if (target === null) {
      rawProblem(socket, new NimbusError('NIMBUS_ERR_NOT_FOUND', `no WebSocket at ${url.split('?')[0]}; functions accept them at /fn/<name>/<path>`), url);
      return;
    }
    const key = req.headers['sec-websocket-key'];
    const version = req.headers['sec-websocket-version'];
    if (!isWebSocketUpgrade(req) || req.method !== 'GET' || typeof key !== 'string' || !/^[+/0-9A-Za-z]{22}==$/.test(key) || (version !== '13' && version !== '8')) {
      rawProblem(socket, new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'only WebSocket upgrades (GET, Upgrade: websocket, Sec-WebSocket-Key, Sec-WebSocket-Version: 13) are accepted'), url);
      return;
    }
    const headers: Array<[string, string]> = [];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i].toLowerCase();
      if (!HOP_BY_HOP.has(lower) && !SET_BY_GATEWAY.has(lower)) headers.push([raw[i], raw[i + 1]]);
    }
    const sourceIp = req.socket.remoteAddress ?? '';
    // what a Workers function looks at to tell an upgrade from a plain request
    headers.push(['upgrade', 'websocket'], ['connection', 'Upgrade']);
    headers.push(['x-forwarded-prefix', `/fn/${encodeURIComponent(target.name)}${target.qualifier === undefined ? '' : '@' + encodeURIComponent(target.qualifier)}`]);
    headers.push(['x-forwarded-for', sourceIp], ['x-forwarded-proto', 'http']);
    const request: HttpRequestData = { method: 'GET', url: `http://${req.headers.host ?? deps.defaultHost}${target.path}`, headers, body: null };
    let answered = false;
    const sendWhole = async (http: HttpResponseData, invocationId: string): Promise<void> => {
      const limit = deps.payloadLimitBytes;
      const body = http.stream === undefined ? http.body : await collect(http.stream, limit, () => new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the streamed response passed ${limit} bytes`));
      rawAnswer(socket, http.status, responseHead(http, invocationId, false), body);
    };
    const outcome = await deps.dispatcher.invoke({
      functionName: target.name,
      qualifier: target.qualifier,
      trigger: 'http',
      triggerSource: `GET ${url.split('?')[0]}`,
      input: { kind: 'http', request, sourceIp },
      requestBytes: 0,
      respond: async (http, invocationId) => {
        answered = true;
        if (http.webSocket === undefined) return sendWhole(http, invocationId);
        if (socket.destroyed) throw new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the client closed the connection before the WebSocket was accepted');
        const own = responseHead(http, invocationId, false);
        const ownPairs: string[] = [];
        for (let i = 0; i < own.length; i += 2) if (!HANDSHAKE.has(own[i].toLowerCase())) ownPairs.push(own[i], own[i + 1]);
        const protocol = http.headers.find(([k]) => k.toLowerCase() === 'sec-websocket-protocol')?.[1] ?? null;
        answers.set(req, { headers: ownPairs, protocol });
        const server = await wss();
        if (socket.destroyed) throw new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the client closed the connection before the WebSocket was accepted');
        await new Promise<void>((resolve, reject) => {
          // ws answers a handshake it refuses itself and never calls back: the socket's close says so
          const gone = () => reject(new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the WebSocket handshake did not complete'));
          socket.once('close', gone);
          server.handleUpgrade(req, socket, head, (ws) => {
            socket.off('close', gone);
            relay(ws, http.webSocket as SocketPeer, resolve);
          });
        });
      },
    });
    if (answered && outcome.ok) return;
    if (!outcome.ok) {
      rawProblem(socket, outcome.error, url, problemExtras(outcome.error, outcome.invocationId), ['x-nimbus-invocation-id', outcome.invocationId]);
      return;
    }
    const http = outcome.http;
    if (http === undefined) rawProblem(socket, new NimbusError('NIMBUS_ERR_INTERNAL', 'no response was produced'), url);
    else rawAnswer(socket, http.status, responseHead(http, outcome.invocationId, false), http.body);
  };

  return {
    handle: (req, socket, head) => {
      handle(req, socket, head).catch(() => socket.destroy());
    },
    closeAll: (code, reason) => {
      for (const ws of live) ws.close(code, reason);
    },
  };
}
