/**
 * The Node layer end to end, through the real server and CLI: a function using Node
 * built-ins (Buffer, events, stream, AsyncLocalStorage, process.env, fs) deployed with
 * `nimbus deploy` answers over HTTP; the `pg` driver runs `select 1` against the local
 * PostgreSQL through net sockets the operator allowed (--egress-allow 127.0.0.1); a built-in
 * functions do not have fails the deploy as an RFC 7807 problem naming the module and the
 * package that imported it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const PG = { host: '127.0.0.1', port: 5432 };
const reachable = (target: { host: string; port: number }) =>
  new Promise<boolean>((resolve) => {
    const s = connect(target.port, target.host);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

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
    const fn = join(dir, 'pgfn');
    mkdirSync(fn);
    symlinkSync(join(ROOT, 'node_modules'), join(fn, 'node_modules'));
    writeFileSync(join(fn, 'index.ts'), `import pg from 'pg';
      export default { async fetch() {
        const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
        await client.connect();
        try { const r = await client.query('select 1 as one, $1::text as echo', ['from nimbus']); return Response.json(r.rows); }
        finally { await client.end(); }
      } };`);
    const out = await cli(p, ['deploy', 'pgfn', fn]);
    assert.equal(out.code, 0, out.stderr);
    const res = await fetch(`${p.url}/fn/pgfn`);
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, [{ one: 1, echo: 'from nimbus' }]);
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
