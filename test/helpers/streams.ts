/** Helpers for streaming tests: gates a function or app waits on, and a response read chunk by chunk. */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';

/** A local server the functions wait on: GET /gate/<name> answers once the test opens that gate. */
export class Gates {
  readonly server: Server;
  readonly #open = new Map<string, () => void>();
  readonly #asked = new Map<string, () => void>();
  readonly #askedP = new Map<string, Promise<void>>();
  readonly #openedP = new Map<string, Promise<void>>();
  /** Other routes, by path. */
  readonly routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url ?? '';
      const route = this.routes.get(path);
      if (route) return route(req, res);
      const name = path.replace('/gate/', '');
      this.#ensure(name);
      this.#asked.get(name)!();
      void this.#openedP.get(name)!.then(() => res.end('open'));
    });
  }
  #ensure(name: string): void {
    if (this.#askedP.has(name)) return;
    this.#askedP.set(name, new Promise((r) => this.#asked.set(name, r)));
    this.#openedP.set(name, new Promise((r) => this.#open.set(name, r)));
  }
  /** Resolves once the function is waiting on gate `name`. */
  waiting(name: string): Promise<void> {
    this.#ensure(name);
    return this.#askedP.get(name)!;
  }
  open(name: string): void {
    this.#ensure(name);
    this.#open.get(name)!();
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

/** Reads an HTTP response chunk by chunk, on demand. */
export class ChunkReader {
  readonly #chunks: string[] = [];
  #waiter: ((s: string | null) => void) | null = null;
  #ended = false;
  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = null;
        w(d);
      } else this.#chunks.push(d);
    });
    res.on('end', () => {
      this.#ended = true;
      this.#waiter?.(null);
    });
  }
  next(): Promise<string | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#chunks.shift()!);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((r) => (this.#waiter = r));
  }
  async rest(): Promise<string> {
    let out = '';
    for (let c = await this.next(); c !== null; c = await this.next()) out += c;
    return out;
  }
}

export function get(url: string, init: { method?: string; headers?: Record<string, string> } = {}): { res: Promise<IncomingMessage>; req: ReturnType<typeof httpRequest> } {
  const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers });
  const res = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  return { req, res };
}


/** The Server-Sent Events of a fetch response, one at a time (its lines, without the blank line after); null at its end. */
export function sseEvents(res: Response): () => Promise<string | null> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return async () => {
    while (!buffer.includes('\n\n')) {
      const { done, value } = await reader.read();
      if (done) return null;
      buffer += value;
    }
    const cut = buffer.indexOf('\n\n');
    const event = buffer.slice(0, cut);
    buffer = buffer.slice(cut + 2);
    return event;
  };
}

/** How a response's body ended ('end': complete; 'error' or 'aborted': cut off) and the bytes that came before. */
export function bodyEnd(response: IncomingMessage): Promise<{ ended: string; bytes: number }> {
  let bytes = 0;
  return new Promise((resolve) => {
    response.on('data', (d: Buffer) => (bytes += d.byteLength));
    response.on('end', () => resolve({ ended: 'end', bytes }));
    response.on('error', () => resolve({ ended: 'error', bytes }));
    response.on('aborted', () => resolve({ ended: 'aborted', bytes }));
  });
}

/**
 * A chunked upload to an echo that answers each part as it comes: 'part one' is sent, its
 * echo '[part one]' awaited, only then 'part two' (so the echo proves the upload reached
 * the code before it ended), then the end. Returns the invocation id and what came last.
 */
export async function echoInParts(url: string): Promise<{ id: string; rest: string }> {
  const { req, res } = get(url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
  req.write('part one');
  const response = await res;
  const reader = new ChunkReader(response);
  if ((await reader.next()) !== '[part one]') throw new Error('part one was not echoed first');
  req.write('part two');
  if ((await reader.next()) !== '[part two]') throw new Error('part two was not echoed next');
  req.end();
  return { id: response.headers['x-nimbus-invocation-id'] as string, rest: await reader.rest() };
}

/** GETs a streamed answer, reads its first chunk (which must match `first`), then goes away; returns the invocation id. */
export async function readThenHangUp(url: string, first: RegExp): Promise<string> {
  const { req, res } = get(url);
  req.end();
  const response = await res;
  const chunk = await new ChunkReader(response).next();
  if (chunk === null || !first.test(chunk)) throw new Error(`the first chunk was ${JSON.stringify(chunk)}`);
  response.on('error', () => undefined);
  req.on('error', () => undefined);
  req.destroy();
  return response.headers['x-nimbus-invocation-id'] as string;
}

/**
 * Reads events `id: n / data: event n` for n = 1..count from a stream whose producer waits
 * on gate `sse-<n>` before event n > 1: each gate is opened only once the event before it
 * has arrived (ordering, not timing). `lastGate`: it also waits on `sse-<count+1>` before
 * it ends. Then the stream must end.
 */
export async function gatedEvents(gates: Gates, res: Response, count: number, lastGate: boolean): Promise<void> {
  const nextEvent = sseEvents(res);
  for (let n = 1; n <= count + 1; n++) {
    if (n > 1 && (n <= count || lastGate)) {
      await gates.waiting(`sse-${n}`);
      gates.open(`sse-${n}`);
    }
    assert.equal(await nextEvent(), n <= count ? `id: ${n}\ndata: event ${n}` : null);
  }
}

/** GETs `url` and reads its body to whatever end it has: the invocation id, how it ended (bodyEnd) and its bytes. */
export async function getToTheEnd(url: string): Promise<{ id: string; ended: string; bytes: number }> {
  const { req, res } = get(url);
  req.end();
  const response = await res;
  return { id: response.headers['x-nimbus-invocation-id'] as string, ...(await bodyEnd(response)) };
}
