/**
 * The Node layer end to end, through the real server and CLI: a function using Node
 * built-ins (Buffer, events, stream, AsyncLocalStorage, process.env, fs) deployed with
 * `nimbus deploy` answers over HTTP; a built-in functions do not have fails the deploy as
 * an RFC 7807 problem naming the module and the package that imported it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

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
    p = await startPlatform();
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
