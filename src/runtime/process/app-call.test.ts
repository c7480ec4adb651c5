/**
 * One proxied call as undici's dispatch drives it, against a real node:http server: which
 * answers come whole and which as a stream, what reaches the caller of the head, the
 * payload limit on a stream, and an abort before the answer.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { NimbusError } from '../../core/errors.ts';
import { AppCall, BUFFER_UP_TO, type AppAnswer } from './app-call.ts';

const LIMIT = 256 * 1024;

/** What the test server answers, by path. */
const ROUTES: Record<string, (res: ServerResponse) => void> = {
  '/small': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5', 'keep-alive': 'timeout=5', 'X-Case': 'Kept' });
    res.end('hello');
  },
  // chunked, all of it written at once: parsed with the head
  '/chunked-whole': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('all at once');
  },
  // chunked, the second part later: a stream
  '/chunked-later': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first ');
    setTimeout(() => res.end('second'), 30);
  },
  '/forever': (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(16 * 1024, 1);
    const more = (): void => {
      while (res.write(chunk));
      res.once('drain', more);
    };
    res.on('close', () => res.off('drain', more));
    more();
  },
  '/latin1': (res) => {
    res.setHeader('x-raw', Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]).toString('latin1'));
    res.end();
  },
  '/never': () => {},
};

interface Outcome {
  readonly answer: Promise<AppAnswer>;
  readonly ended: Promise<NimbusError | null>;
  readonly call: AppCall;
}

function call(pool: Pool, path: string, method: 'GET' | 'HEAD' = 'GET'): Outcome {
  let answered!: (a: AppAnswer) => void;
  let failed!: (e: Error) => void;
  let ended!: (e: NimbusError | null) => void;
  const answer = new Promise<AppAnswer>((resolve, reject) => ((answered = resolve), (failed = reject)));
  const end = new Promise<NimbusError | null>((resolve) => (ended = resolve));
  const handler = new AppCall(
    { answered, failed, streamEnded: ended, failure: async (error) => new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `failed: ${error.message}`) },
    { maxResponseBytes: LIMIT, overLimit: () => new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'over the limit') },
    method === 'HEAD',
  );
  pool.dispatch({ method, path, headers: [], headersTimeout: 0, bodyTimeout: 0 }, handler);
  return { answer, ended: end, call: handler };
}

async function readAll(answer: AppAnswer): Promise<string> {
  assert.ok(answer.stream);
  const parts: Buffer[] = [];
  for (let chunk = await answer.stream.read(); chunk !== null; chunk = await answer.stream.read()) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

describe('AppCall (one proxied call over undici dispatch)', () => {
  let server: Server;
  let pool: Pool;
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      (ROUTES[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 4 });
  });
  after(async () => {
    await pool.destroy();
    server.closeAllConnections();
    server.close();
  });

  it('a small answer of declared length comes whole, its hop-by-hop headers dropped and names in lower case', async () => {
    const a = await call(pool, '/small').answer;
    assert.equal(a.status, 200);
    assert.equal(a.stream, null);
    assert.equal(Buffer.from(a.body).toString(), 'hello');
    const names = a.headers.map(([k]) => k);
    assert.ok(names.includes('x-case') && names.includes('content-type'));
    assert.ok(!names.includes('content-length') && !names.includes('keep-alive') && !names.includes('connection'));
  });

  it('a chunked answer parsed with its head comes whole', async () => {
    const a = await call(pool, '/chunked-whole').answer;
    assert.equal(a.stream, null);
    assert.equal(Buffer.from(a.body).toString(), 'all at once');
  });

  it('a chunked answer still being sent comes as a stream, read to its end', async () => {
    const o = call(pool, '/chunked-later');
    const a = await o.answer;
    assert.notEqual(a.stream, null);
    assert.equal(a.body.byteLength, 0);
    assert.equal(await readAll(a), 'first second');
    assert.equal(await o.ended, null);
  });

  it('a HEAD answer is whole and empty', async () => {
    const a = await call(pool, '/small', 'HEAD').answer;
    assert.equal(a.stream, null);
    assert.equal(a.body.byteLength, 0);
  });

  it('header values keep the bytes the app sent', async () => {
    const a = await call(pool, '/latin1').answer;
    const raw = a.headers.find(([k]) => k === 'x-raw')?.[1] ?? '';
    assert.deepEqual([...Buffer.from(raw, 'latin1')], [0x63, 0x61, 0x66, 0xc3, 0xa9]);
  });

  it('a stream past the payload limit fails its reader with the limit error, and ends with it', async () => {
    const o = call(pool, '/forever');
    const a = await o.answer;
    let read = 0;
    const error = await (async () => {
      try {
        for (let c = await a.stream!.read(); c !== null; c = await a.stream!.read()) read += c.byteLength;
      } catch (e) {
        return e as NimbusError;
      }
      return null;
    })();
    assert.equal(error?.message, 'over the limit');
    assert.ok(read <= LIMIT && read > BUFFER_UP_TO, `read ${read} bytes`);
    assert.equal(await o.ended, error);
  });

  it('a reader that cancels ends the stream with its reason', async () => {
    const o = call(pool, '/forever');
    const a = await o.answer;
    await a.stream!.read();
    const reason = new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'gone');
    a.stream!.cancel(reason);
    assert.equal(await o.ended, reason);
    assert.equal(await a.stream!.read(), null);
  });

  it('an abort before the answer fails the call with its reason', async () => {
    const o = call(pool, '/never');
    const reason = new Error('deadline');
    setTimeout(() => o.call.abort(reason), 20);
    await assert.rejects(o.answer, (e) => e === reason);
  });
});
