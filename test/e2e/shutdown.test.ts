/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole process group of `nimbus up`, started
 * as a user runs it (bin/nimbus.mjs as a command: its shell line execs Node with the flags
 * the platform needs, one process) and as `node bin/nimbus.mjs up` (a wrapper re-executes
 * the platform with those flags in a child); either way its isolates have
 * ArrayBuffer.prototype.transfer (--harmony-rab-gsab-transfer).
 * The first drains in-flight work (requests, and background work a function left running with
 * waitUntil) and exits 0 with the url file removed; a second one
 * while draining stops at once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, FROM_SOURCE, ROOT, startPlatform } from '../helpers/platform.ts';

type Launch = 'command' | 'node';

async function upInItsOwnGroup(dataDir: string, launch: Launch = 'command') {
  const [file, first] = launch === 'command' ? [BIN, []] : [process.execPath, [BIN]];
  const proc = spawn(file, [...first, 'up', '--port', '0', '--data', dataDir, '--no-examples', '--log-level', 'warn'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...FROM_SOURCE },
  });
  let out = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) if (w.re.test(out)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const printed = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(out)) return resolve();
      waiters.push({ re, resolve });
      void exited.then((code) => reject(new Error(`exited (${code}) before printing ${re}:\n${out}`)));
    });
  await printed(/Nimbus ready on http/);
  const url = /Nimbus ready on (http:\/\/\S+)/.exec(out)![1];
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const deploy = async (name: string, code: string) => {
    const res = await fetch(`${url}/api/v1/functions/${name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: { files: { 'index.ts': code }, entry: 'index.ts' }, config: { timeoutMs: 120_000 } }),
    });
    assert.equal(res.status < 300, true, await res.text());
  };
  const signalGroup = (signal: NodeJS.Signals) => process.kill(-proc.pid!, signal);
  const cleanup = () => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGKILL');
  };
  return { url, deploy, signalGroup, printed, exited, output: () => out, cleanup };
}

for (const launch of ['command', 'node'] as const) {
  test(`SIGINT to the group drains the request in flight, exits 0 and removes the url file (${launch === 'command' ? 'nimbus as a command' : 'node bin/nimbus.mjs'})`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-sigint-'));
    const up = await upInItsOwnGroup(dataDir, launch);
    try {
      await up.deploy('slow', `export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response('finished'); } };`);
      assert.ok(existsSync(join(dataDir, 'url')));
      // launched either way, the platform's Node has --harmony-rab-gsab-transfer: isolates can move buffers
      await up.deploy('moves', `export default { fetch() { const b = new ArrayBuffer(2); structuredClone(b, { transfer: [b] }); return new Response(String(b.detached)); } };`);
      assert.equal(await (await fetch(`${up.url}/fn/moves/`)).text(), 'true');
      const answer = fetch(`${up.url}/fn/slow/`).then(async (r) => [r.status, await r.text()]);
      await waitInFlight(up.url, dataDir, 'slow');
      up.signalGroup('SIGINT');
      assert.deepEqual(await answer, [200, 'finished'], 'the request in flight finishes');
      assert.equal(await up.exited, 0, up.output());
      assert.equal((up.output().match(/SIGINT: draining/g) ?? []).length, 1, 'one Ctrl-C is one signal to the platform');
      assert.equal(existsSync(join(dataDir, 'url')), false);
    } finally {
      up.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test("SIGINT drains background work too: a waitUntil still running after the answer finishes, and its log line is kept", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-sigint-'));
  const up = await upInItsOwnGroup(dataDir);
  try {
    await up.deploy(
      'later',
      `export default { async fetch(req, env, ctx) {
        ctx.waitUntil(new Promise((r) => setTimeout(() => { console.log('background finished'); r(1); }, 1500)));
        return new Response('answered');
      } };`,
    );
    // The answer is out before the background work ends; the signal comes while it runs.
    assert.equal(await (await fetch(`${up.url}/fn/later/`)).text(), 'answered');
    up.signalGroup('SIGINT');
    assert.equal(await up.exited, 0, up.output());
  } finally {
    up.cleanup();
  }
  const again = await startPlatform({ dataDir });
  try {
    const { items } = (await (await again.api('/api/v1/logs?function=later&since=1h')).json()) as { items: Array<{ msg: string }> };
    assert.deepEqual(items.map((l) => l.msg), ['background finished']);
  } finally {
    await again.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a second SIGINT while draining stops at once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-sigint-'));
  const up = await upInItsOwnGroup(dataDir);
  try {
    await up.deploy('stuck', `export default { async fetch() { await new Promise((r) => setTimeout(r, 100_000)); return new Response('late'); } };`);
    const answer = fetch(`${up.url}/fn/stuck/`).then((r) => r.status, () => 'connection closed');
    await waitInFlight(up.url, dataDir, 'stuck');
    up.signalGroup('SIGINT');
    await up.printed(/SIGINT: draining/);
    up.signalGroup('SIGINT');
    assert.equal(await up.exited, 130, up.output());
    assert.match(up.output(), /SIGINT again: stopping now/);
    assert.equal(await answer, 'connection closed');
  } finally {
    up.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Waits until the function reports a request in flight (the scale status the API shows). */
async function waitInFlight(url: string, dataDir: string, name: string): Promise<void> {
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  for (;;) {
    const res = await fetch(`${url}/api/v1/functions/${name}/scale`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { inFlight?: number };
    if ((body.inFlight ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 20)); // a poll interval, not a deadline
  }
}
