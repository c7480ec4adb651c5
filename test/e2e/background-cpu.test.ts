/**
 * A function's module-level timer burning CPU outside any invocation, on the real
 * platform: in bursts each under the CPU limit, it is stopped once the limit is passed
 * over the sliding span (the function's timeout), with a `background` record that says so,
 * and the CPU it used shows in usage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startPlatform } from '../helpers/platform.ts';

const BURNER = `
setInterval(() => { const end = Date.now() + 30; while (Date.now() < end) {} }, 50);
export async function handler() { return 'started'; }
`;

interface Rec {
  id: string;
  trigger: string;
  status: string;
  errorCode: string | null;
  cpuMs: number;
  billedMs: number;
}

test('a module-level timer burning CPU in bursts is charged to its function and stopped with a record', { timeout: 60_000 }, async () => {
  const p = await startPlatform();
  try {
    await p.deploy('burner', BURNER, { cpuLimitMs: 200, timeoutMs: 10_000 });
    const res = await p.api('/api/v1/functions/burner/invoke', { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    const records = async () => ((await (await p.api('/api/v1/invocations?function=burner&limit=100')).json()) as { items: Rec[] }).items;
    const stopped = await eventually(async () => (await records()).find((r) => r.trigger === 'background' && r.status === 'cpu_limit'), 30_000, 100);
    assert.equal(stopped.errorCode, 'NIMBUS_ERR_CPU_LIMIT');
    assert.ok(stopped.cpuMs > 200, `charged ${stopped.cpuMs} ms`);
    assert.equal(stopped.billedMs, Math.ceil(stopped.cpuMs));
    // Usage is the sum of the records: the background CPU is in it.
    const usage = (await (await p.api('/api/v1/usage?function=burner')).json()) as { total: { cpuMs: number } };
    const all = await records();
    const background = all.filter((r) => r.trigger === 'background').reduce((n, r) => n + r.cpuMs, 0);
    assert.ok(usage.total.cpuMs >= background, `usage ${usage.total.cpuMs} ms against ${background} ms in background records`);
    // The next call starts a fresh instance.
    const again = await p.api('/api/v1/functions/burner/invoke', { method: 'POST', body: '{}' });
    assert.equal(again.status, 200);
  } finally {
    await p.stop();
    p.cleanup();
  }
});
