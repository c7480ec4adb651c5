/**
 * The Node layer end to end, through the real server and CLI: a function using Node
 * built-ins (Buffer, events, stream, AsyncLocalStorage, process.env, fs) deployed with
 * `nimbus deploy` answers over HTTP; the `pg` driver runs `select 1` against the local
 * PostgreSQL through net sockets the operator allowed (--egress-allow 127.0.0.1); a built-in
 * functions do not have fails the deploy as an RFC 7807 problem naming the module and the
 * package that imported it. `ioredis` runs PING, SET and GET against the local Redis, and
 * `nodemailer` sends a message to an SMTP sink the test starts, which checks what arrived.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, invocationRecord, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const PG = { host: '127.0.0.1', port: 5432 };
const REDIS = { host: '127.0.0.1', port: 6379 };
const reachable = (target: { host: string; port: number }) =>
  new Promise<boolean>((resolve) => {
    const s = connect(target.port, target.host);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** A message the SMTP sink took: its envelope and its text (headers and body, dot-unstuffed). */
interface Mail {
  from: string;
  to: string[];
  data: string;
}

/**
 * The smallest SMTP server nodemailer talks to (RFC 5321 without extensions): it answers
 * EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP and QUIT, and keeps every message it accepted.
 */
function smtpSink(): Promise<{ server: Server; port: number; mails: Mail[]; received: Promise<Mail> }> {
  const mails: Mail[] = [];
  let arrived: (mail: Mail) => void = () => undefined;
  const received = new Promise<Mail>((resolve) => (arrived = resolve));
  const server = createServer((socket) => {
    let buffered = '';
    let mail: Mail = { from: '', to: [], data: '' };
    let inData = false;
    const reply = (line: string) => socket.write(line + '\r\n');
    reply('220 sink.test ESMTP');
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mail.data = buffered.slice(0, end).replace(/^\.\./gm, '.');
          buffered = buffered.slice(end + 5);
          inData = false;
          mails.push(mail);
          arrived(mail);
          mail = { from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffered.slice(0, eol);
        buffered = buffered.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 sink.test');
        else if (verb === 'MAIL') (mail.from = /<([^>]*)>/.exec(line)?.[1] ?? ''), reply('250 2.1.0 ok');
        else if (verb === 'RCPT') (mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''), reply('250 2.1.5 ok'));
        else if (verb === 'DATA') (inData = true), reply('354 end with <CRLF>.<CRLF>');
        else if (verb === 'RSET') (mail = { from: '', to: [], data: '' }), reply('250 ok');
        else if (verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') (reply('221 bye'), socket.end());
        else reply('502 5.5.2 not implemented');
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, mails, received })));
}

const FUNCTION = `
import { Buffer } from 'node:buffer';
import { EventEmitter, once } from 'events';
import { Readable } from 'node:stream';
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';

const als = new AsyncLocalStorage<string>();
export default {
  async fetch(request: Request) {
    return als.run(request.headers.get('x-id') ?? 'none', async () => {
      const e = new EventEmitter();
      setTimeout(() => e.emit('go', 1), 1);
      await once(e, 'go');
      const parts: string[] = [];
      for await (const c of Readable.from(['a', 'b'])) parts.push(String(c));
      return Response.json({
        id: als.getStore(),
        b64: Buffer.from(process.env.SECRET_WORD ?? '').toString('base64url'),
        parts,
        data: JSON.parse(fs.readFileSync('/bundle/data.json', 'utf8')),
        etc: (() => { try { fs.readFileSync('/etc/hostname'); return 'read'; } catch (err) { return (err as { code: string }).code; } })(),
      });
    });
  },
};
`;

describe('Node built-ins in functions, end to end', () => {
  let p: RunningPlatform;
  let dir: string;
  before(async () => {
    p = await startPlatform({ args: ['--egress-allow', '127.0.0.1'] });
    dir = mkdtempSync(join(tmpdir(), 'nimbus-node-compat-'));
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Deploys `source` as `name` from a directory that sees the repository's node_modules (the drivers), and calls it. */
  async function deployDriver(name: string, source: string, query = ''): Promise<{ res: Response; body: unknown }> {
    const fn = join(dir, name);
    mkdirSync(fn);
    symlinkSync(join(ROOT, 'node_modules'), join(fn, 'node_modules'));
    writeFileSync(join(fn, 'index.ts'), source);
    const out = await cli(p, ['deploy', name, fn]);
    assert.equal(out.code, 0, out.stderr);
    const res = await fetch(`${p.url}/fn/${name}${query}`);
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return { res, body };
  }

  it('a function using Buffer, events, stream, AsyncLocalStorage, process.env and fs answers', async () => {
    const fn = join(dir, 'nodeish');
    mkdirSync(fn);
    writeFileSync(join(fn, 'index.ts'), FUNCTION);
    writeFileSync(join(fn, 'data.json'), '{"answer":42}');
    const out = await cli(p, ['deploy', 'nodeish', fn, '--env', 'SECRET_WORD=hi?']);
    assert.equal(out.code, 0, out.stderr);
    const res = await fetch(`${p.url}/fn/nodeish`, { headers: { 'x-id': 'req-7' } });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { id: 'req-7', b64: Buffer.from('hi?').toString('base64url'), parts: ['a', 'b'], data: { answer: 42 }, etc: 'EACCES' });
  });

  it('pg runs select 1 against PostgreSQL from inside a function', async (t) => {
    if (!(await reachable(PG))) return t.skip('needs PostgreSQL on 127.0.0.1:5432 (trust auth, database test)');
    const { body } = await deployDriver('pgfn', `import pg from 'pg';
      export default { async fetch() {
        const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
        await client.connect();
        try { const r = await client.query('select 1 as one, $1::text as echo', ['from nimbus']); return Response.json(r.rows); }
        finally { await client.end(); }
      } };`);
    assert.deepEqual(body, [{ one: 1, echo: 'from nimbus' }]);
  });

  it('ioredis runs PING, SET and GET against Redis from inside a function', async (t) => {
    if (!(await reachable(REDIS))) return t.skip('needs Redis on 127.0.0.1:6379');
    const { res, body: answer } = await deployDriver('redisfn', `import Redis from 'ioredis';
      export default { async fetch(request: Request) {
        const key = 'nimbus-e2e:' + new URL(request.url).searchParams.get('k');
        const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        await redis.connect();
        try {
          const pong = await redis.ping();
          await redis.set(key, 'from nimbus', 'EX', 60);
          const got = await redis.get(key);
          await redis.del(key);
          const socket = (redis as unknown as { stream: { bytesRead: number; bytesWritten: number } }).stream;
          return Response.json({ pong, got, read: socket.bytesRead, written: socket.bytesWritten });
        } finally { redis.disconnect(); }
      } };`, `?k=${process.pid}`);
    const body = answer as { pong: string; got: string; read: number; written: number };
    assert.deepEqual({ pong: body.pong, got: body.got }, { pong: 'PONG', got: 'from nimbus' });
    // its record counts the socket as the function's own net.Socket saw it: one opened, every byte each way
    const id = res.headers.get('x-nimbus-invocation-id') as string;
    const record = await invocationRecord<{ sockets?: { opened: number; bytesIn: number; bytesOut: number } }>(p, id);
    assert.ok(body.read > 0 && body.written > 0);
    assert.deepEqual(record.sockets, { opened: 1, bytesIn: body.read, bytesOut: body.written });
  });

  it('nodemailer sends a message over SMTP that the sink receives intact', async () => {
    const sink = await smtpSink();
    try {
      const { body } = await deployDriver('mailfn', `import nodemailer from 'nodemailer';
        export default { async fetch(request: Request) {
          const port = Number(new URL(request.url).searchParams.get('port'));
          const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, name: 'fn.test' });
          const info = await transport.sendMail({
            from: 'Nimbus <fn@nimbus.test>', to: 'ops@example.test', subject: 'Käse & données',
            text: 'line one\\n.line starting with a dot\\nline three',
          });
          transport.close();
          return Response.json({ accepted: info.accepted, response: info.response });
        } };`, `?port=${sink.port}`);
      assert.deepEqual(body, { accepted: ['ops@example.test'], response: '250 2.0.0 queued' });
      const mail = await sink.received;
      assert.equal(sink.mails.length, 1);
      assert.equal(mail.from, 'fn@nimbus.test');
      assert.deepEqual(mail.to, ['ops@example.test']);
      const [head, ...rest] = mail.data.split('\r\n\r\n');
      const headers = head!.replace(/\r\n[ \t]+/g, ' ');
      assert.match(headers, /^From: Nimbus <fn@nimbus\.test>$/m);
      assert.match(headers, /^To: ops@example\.test$/m);
      const subject = /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
      // RFC 2047 Q-encoded words, as nodemailer writes a non-ASCII subject
      const decoded = subject.replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_, q: string) =>
        Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
      );
      assert.equal(decoded, 'Käse & données');
      assert.match(headers, /^Message-ID: <.+@nimbus\.test>$/m);
      assert.equal(rest.join('\r\n\r\n').trimEnd(), 'line one\r\n.line starting with a dot\r\nline three');
    } finally {
      sink.server.close();
    }
  });

  it('a built-in functions do not have fails the deploy, naming it and the importing package', async () => {
    const res = await p.api('/api/v1/functions/spawner', {
      method: 'PUT',
      body: JSON.stringify({ source: { files: { 'index.ts': `import { execSync } from 'node:child_process'; export const handler = () => String(execSync('id'));` }, entry: 'index.ts' } }),
    });
    const problem = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 400);
    assert.equal(problem.code, 'NIMBUS_ERR_UNSUPPORTED_MODULE');
    assert.equal(problem.module, 'child_process');
    assert.equal(problem.importedBy, 'index.ts');
    assert.equal((await p.api('/api/v1/functions/spawner')).status, 404, 'nothing was deployed');
  });
});
