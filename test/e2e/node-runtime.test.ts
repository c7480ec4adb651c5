/**
 * The `node` runtime: a function with the isolate contract (fetch/handler) run in a Node
 * process with all of Node (fs, child_process, process), from pre-started processes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const SOURCE = `
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
export default {
  async fetch(request: Request, env: Record<string, string>) {
    const path = new URL(request.url).pathname;
    if (path === '/exit') process.exit(7);
    if (path === '/loop') for (;;);
    console.log('node function saw', path);
    return Response.json({ node: process.version, echo: execFileSync('echo', ['from a child']).toString().trim(), fs: readFileSync('/etc/passwd', 'utf8').length > 0, greeting: env.GREETING, envGreeting: process.env.GREETING, path });
  },
};
export async function handler(event: unknown) {
  return { got: event };
}
`;

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('node runtime, end to end', () => {
  let p: RunningPlatform;
  let dir: string;
  before(async () => {
    p = await startPlatform();
    dir = mkdtempSync(join(tmpdir(), 'nimbus-nodefn-'));
    writeFileSync(join(dir, 'index.ts'), SOURCE);
    const deployed = await cli(p, ['deploy', 'full', join(dir, 'index.ts'), '--runtime', 'node', '--env', 'GREETING=hej', '--timeout', '1s']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a function uses child_process, fs and process; its env is what it declared; its console is its log', async () => {
    const res = await fetch(`${p.url}/fn/full/hello`);
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.echo, 'from a child');
    assert.equal(body.fs, true);
    assert.deepEqual([body.greeting, body.envGreeting, body.path], ['hej', 'hej', '/hello']);
    assert.match(String(body.node), /^v\d+/);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    const record = await invocationRecord(p, id);
    assert.deepEqual((record.logs as Array<{ msg: string }>).map((l) => l.msg), ['node function saw /hello']);
  });

  it('an invoke calls its handler', async () => {
    const res = await p.api('/api/v1/functions/full/invoke', { method: 'POST', body: JSON.stringify({ n: 1 }) });
    assert.deepEqual(await json(res), { got: { n: 1 } });
  });

  it('a process that exits fails its request with NIMBUS_ERR_INSTANCE_CRASHED; a loop past the timeout with NIMBUS_ERR_TIMEOUT; the next request is served', async () => {
    assert.equal((await json(await fetch(`${p.url}/fn/full/exit`))).code, 'NIMBUS_ERR_INSTANCE_CRASHED');
    assert.equal((await fetch(`${p.url}/fn/full/ok`)).status, 200);
    assert.equal((await json(await fetch(`${p.url}/fn/full/loop`))).code, 'NIMBUS_ERR_TIMEOUT');
    assert.equal((await fetch(`${p.url}/fn/full/ok`)).status, 200);
  });

  it('a call past its CPU limit (--cpu) fails with NIMBUS_ERR_CPU_LIMIT before its timeout; the next request is served', async () => {
    writeFileSync(join(dir, 'burn.ts'), `export default { fetch(request: Request) { if (request.url.endsWith('/burn')) for (;;); return new Response('ok'); } };`);
    const deployed = await cli(p, ['deploy', 'burn', join(dir, 'burn.ts'), '--runtime', 'node', '--cpu', '100ms', '--timeout', '20s']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    const res = await fetch(`${p.url}/fn/burn/burn`);
    assert.equal((await json(res)).code, 'NIMBUS_ERR_CPU_LIMIT');
    assert.equal(res.status, 504);
    assert.equal((await fetch(`${p.url}/fn/burn/ok`)).status, 200);
  });

  it('a top level that throws refuses the deploy with its error', async () => {
    writeFileSync(join(dir, 'bad.ts'), `throw new RangeError('not today');\nexport default { fetch() { return new Response('x') } }`);
    const bad = await cli(p, ['deploy', 'bad', join(dir, 'bad.ts'), '--runtime', 'node']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr + bad.stdout, /RangeError: not today/);
  });
});
