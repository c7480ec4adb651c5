/**
 * State the platform shows survives a real restart (kill -9, then `nimbus up` on the same
 * data directory): alert rules that were firing are firing after it, with the same
 * `since` and no second firing event, and one whose condition ends after the restart
 * resolves (no missed resolve). `nimbus top` shows the calls from before the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const FLAKY = `
export async function handler(event) {
  if (event.fail) throw new Error('asked to fail');
  return { ok: true };
}
`;

interface AlertView {
  rule: { name: string };
  state: { status: string; since: number };
}

const ARGS = ['--alert-interval', '100ms'];

async function alert(p: RunningPlatform, name: string): Promise<AlertView> {
  const res = await p.api('/api/v1/alerts');
  assert.equal(res.status, 200);
  const view = ((await res.json()) as { items: AlertView[] }).items.find((v) => v.rule.name === name);
  assert.ok(view, `alert ${name} is listed`);
  return view;
}

async function events(p: RunningPlatform, name: string): Promise<string[]> {
  const res = await p.api(`/api/v1/alerts/events?rule=${name}&limit=50`);
  const body = (await res.json()) as { items: Array<{ kind: string }> };
  return body.items.map((e) => e.kind);
}

test('a firing alert is firing after kill -9 and a restart, and resolves after it', { timeout: 90_000 }, async () => {
  let p = await startPlatform({ args: ARGS });
  const dataDir = p.dataDir;
  const started: RunningPlatform[] = [];
  try {
    await p.deploy('flaky', FLAKY);
    const put = async (name: string, rule: Record<string, unknown>) => {
      const res = await p.api(`/api/v1/alerts/${name}`, { method: 'PUT', body: JSON.stringify(rule) });
      assert.equal(res.status, 200, await res.text());
    };
    // A window metric (the recent window starts empty after a restart) and a store-read one.
    await put('errors', { metric: 'error_rate', function: 'flaky', threshold: 0.2, window: '10m', minRequests: 1 });
    await put('dead', { metric: 'dlq_size', function: 'flaky', threshold: 0 });
    assert.equal((await p.api('/api/v1/functions/flaky/async-policy', { method: 'PUT', body: JSON.stringify({ maxAttempts: 1 }) })).status, 200);

    const sub = await p.api('/api/v1/functions/flaky/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: JSON.stringify({ fail: true }) });
    assert.equal(sub.status, 202);
    const deadId = ((await sub.json()) as { invocationId: string }).invocationId;
    const firing = async (name: string) => eventually(async () => ((await alert(p, name)).state.status === 'firing' ? alert(p, name) : null), 20_000);
    const errorsBefore = await firing('errors');
    const deadBefore = await firing('dead');
    assert.deepEqual(await events(p, 'dead'), ['firing']);

    // Some calls that went well, committed before the kill (what a crash may lose is another test's).
    for (let i = 0; i < 3; i++) assert.equal((await p.api('/api/v1/functions/flaky/invoke', { method: 'POST', body: '{}' })).status, 200);
    await eventually(async () => /^nimbus_records_unwritten 0$/m.test(await (await p.api('/metrics')).text()), 10_000);

    await p.kill();
    p = await startPlatform({ dataDir, args: ARGS });
    started.push(p);

    // Shown firing at once, since the same moment: the state came back, not a new firing.
    const errorsAfter = await alert(p, 'errors');
    assert.deepEqual([errorsAfter.state.status, errorsAfter.state.since], ['firing', errorsBefore.state.since]);
    const deadAfter = await alert(p, 'dead');
    assert.deepEqual([deadAfter.state.status, deadAfter.state.since], ['firing', deadBefore.state.since]);

    // `nimbus top` shows the hour before the restart: the store's records are read into the recent window.
    const top = await eventually(async () => {
      const body = (await (await p.api('/api/v1/top?window=1h')).json()) as { items: Array<{ function: string; requests: number; errors: number }> };
      const row = body.items.find((r) => r.function === 'flaky');
      return row && row.requests >= 4 ? row : null;
    }, 10_000);
    assert.deepEqual([top.requests, top.errors], [4, 1]);

    // The condition ends after the restart: the alert resolves, once.
    assert.equal((await p.api(`/api/v1/dlq/${deadId}`, { method: 'DELETE' })).status, 204);
    await eventually(async () => (await alert(p, 'dead')).state.status === 'ok', 20_000);
    assert.deepEqual(await events(p, 'dead'), ['resolved', 'firing']);
    // The window metric reads the hour before the restart too (the store's records): still over, still firing, fired once.
    assert.equal((await alert(p, 'errors')).state.status, 'firing');
    assert.deepEqual(await events(p, 'errors'), ['firing']);
  } finally {
    p.cleanup();
    for (const q of started) q.cleanup();
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
