import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { RecentWindow } from '../window.ts';
import { evaluate, INITIAL } from './evaluate.ts';
import { parseAlertRule } from './rule.ts';
import { AlertService } from './service.ts';
import { WebhookSender } from './webhook.ts';

test('rules are validated and name the bad field', () => {
  const r = parseAlertRule({ metric: 'error_rate', threshold: 0.1, window: '1m', for: '30s', function: 'f' }, 'e');
  assert.deepEqual(r, { name: 'e', metric: 'error_rate', function: 'f', windowMs: 60_000, op: '>', threshold: 0.1, forMs: 30_000, minRequests: 1 });
  assert.throws(() => parseAlertRule({ metric: 'nope', threshold: 1 }, 'x'), /metric/);
  assert.throws(() => parseAlertRule({ metric: 'throttles' }, 'x'), /threshold/);
  assert.throws(() => parseAlertRule({ metric: 'throttles', threshold: 1, window: '2h' }, 'x'), /window/);
  // a window shorter than one 5 s slot of the recent window is refused, not replaced by 5 m
  assert.throws(() => parseAlertRule({ metric: 'throttles', threshold: 1, window: 0 }, 'x'), /window: must be a duration from 5000/);
  assert.throws(() => parseAlertRule({ metric: 'throttles', threshold: 1, window: '1s' }, 'x'), /window/);
  assert.equal(parseAlertRule({ metric: 'throttles', threshold: 1, window: '5s' }, 'x').windowMs, 5000);
  assert.throws(() => parseAlertRule({ metric: 'throttles', threshold: 1, colour: 'red' }, 'x'), /colour/);
});

test('evaluate: ok → pending → firing after `for`, resolved when the breach ends', () => {
  const rule = parseAlertRule({ metric: 'p99_duration_ms', threshold: 100, for: 10_000 }, 'slow');
  let s = INITIAL;
  let out = evaluate(rule, s, 150, 1_000);
  assert.equal(out.state.status, 'pending');
  assert.equal(out.event, null);
  out = evaluate(rule, out.state, 160, 10_999);
  assert.equal(out.state.status, 'pending');
  out = evaluate(rule, out.state, 170, 11_000);
  assert.deepEqual(out.event, { kind: 'firing', value: 170 });
  out = evaluate(rule, out.state, 180, 12_000);
  assert.equal(out.event, null, 'firing stays firing without a new event');
  out = evaluate(rule, out.state, null, 13_000);
  assert.deepEqual(out.event, { kind: 'resolved', value: null });
  s = out.state;
  // A breach that ends before `for` never fires.
  out = evaluate(rule, s, 200, 20_000);
  out = evaluate(rule, out.state, 50, 25_000);
  assert.equal(out.state.status, 'ok');
  assert.equal(out.event, null);
});

test('error-rate alert fires and resolves on a fake clock, is recorded, and reaches the webhook after retries', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const store = openSqliteStore(':memory:');
  const window = new RecentWindow();
  const posts: Array<{ body: string; status: number }> = [];
  let failuresLeft = 2;
  const webhook = new WebhookSender({
    clock,
    url: 'http://127.0.0.1:1/hook',
    post: async (_url, body) => {
      const status = failuresLeft-- > 0 ? 503 : 204;
      posts.push({ body, status });
      return status;
    },
    onDelivered: (id) => void store.alerts.markDelivered(id),
  });
  const service = new AlertService({
    clock,
    repo: store.alerts,
    intervalMs: 5_000,
    webhook,
    measures: { window, dlqSize: async () => 0, costPerDay: async () => 0 },
  });
  await service.start([{ name: 'errors', metric: 'error_rate', threshold: 0.2, window: '1m', minRequests: 5 }]);
  const rec = (status: 'success' | 'error') => window.add({ functionName: 'f', status, durationMs: 3, coldStart: false }, clock.now());
  for (let i = 0; i < 10; i++) rec('success');
  assert.deepEqual(await service.tick(), []);
  for (let i = 0; i < 5; i++) rec('error'); // 5 of 15 = 33 %
  const fired = await service.tick();
  assert.equal(fired.length, 1);
  assert.equal(fired[0].kind, 'firing');
  assert.ok(Math.abs((fired[0].value ?? 0) - 1 / 3) < 1e-9);
  assert.equal(service.list()[0].state.status, 'firing');
  // The webhook answered 503 twice: retried after 1 s and 2 s, then delivered.
  await Promise.resolve();
  assert.equal(posts.length, 1);
  clock.advance(1_000);
  await new Promise((r) => setImmediate(r));
  clock.advance(2_000);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(posts.map((p) => p.status), [503, 503, 204]);
  assert.equal(JSON.parse(posts[2].body).status, 'firing');
  assert.equal((await store.alerts.listEvents({ limit: 5 }))[0].delivered, true);
  // A minute later the errors have left the window: resolved.
  clock.advance(61_000);
  for (let i = 0; i < 10; i++) rec('success');
  const resolved = await service.tick();
  assert.deepEqual(resolved.map((e) => e.kind), ['resolved']);
  assert.deepEqual((await store.alerts.listEvents({ rule: 'errors', limit: 5 })).map((e) => e.kind), ['resolved', 'firing']);
  service.stop();
  await store.close();
});

test('config rules are replaced on each start; API rules stay', async () => {
  const clock = new FakeClock();
  const store = openSqliteStore(':memory:');
  const deps = { clock, repo: store.alerts, intervalMs: 1000, measures: { window: new RecentWindow(), dlqSize: async () => 3, costPerDay: async () => 0 } };
  const a = new AlertService(deps);
  await a.start([{ name: 'dlq', metric: 'dlq_size', threshold: 0 }]);
  await a.put({ metric: 'throttles', threshold: 10 }, 'thr');
  a.stop();
  const b = new AlertService(deps);
  await b.start([]);
  assert.deepEqual(b.list().map((v) => [v.rule.name, v.origin]), [['thr', 'api']]);
  await b.start([{ name: 'dlq2', metric: 'dlq_size', threshold: 2 }]);
  const events = await b.tick();
  assert.deepEqual(events.map((e) => [e.rule, e.kind]), [['dlq2', 'firing']]);
  b.stop();
  await store.close();
});

test('a rule stored by an older version with a window under 5 s still loads (raised to 5 s), so the platform starts', async () => {
  const store = openSqliteStore(':memory:');
  await store.alerts.putRule({ name: 'fast', rule: { metric: 'throttles', threshold: 1, windowMs: 1000 }, origin: 'api', createdAt: 1 });
  const service = new AlertService({ clock: new FakeClock(), repo: store.alerts, intervalMs: 1000, measures: { window: new RecentWindow(), dlqSize: async () => 0, costPerDay: async () => 0 } });
  await service.start([]);
  assert.deepEqual(service.list().map((v) => [v.rule.name, v.rule.windowMs]), [['fast', 5000]]);
  await assert.rejects(service.put({ metric: 'throttles', threshold: 1, window: '1s' }, 'new'), /window/);
  service.stop();
  await store.close();
});

test('evaluate: before its window is covered, no breach keeps a firing alert firing; a breach still fires', () => {
  const rule = parseAlertRule({ metric: 'error_rate', threshold: 0.5, window: '1m' }, 'errors');
  const firing = { status: 'firing' as const, since: 1_000, value: 0.9 };
  assert.deepEqual(evaluate(rule, firing, null, 2_000, false), { state: { ...firing, value: null }, event: null });
  assert.deepEqual(evaluate(rule, firing, null, 2_000, true).event, { kind: 'resolved', value: null });
  assert.deepEqual(evaluate(rule, INITIAL, 0.9, 2_000, false).event, { kind: 'firing', value: 0.9 });
  assert.equal(evaluate(rule, INITIAL, null, 2_000, false).state.status, 'ok');
});

test('a firing alert is firing after a restart (a new service on the same store), and resolves once its window is covered', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const store = openSqliteStore(':memory:');
  const before = new RecentWindow();
  const rules = [{ name: 'errors', metric: 'error_rate', threshold: 0.2, window: '1m', minRequests: 1 }];
  const deps = (window: RecentWindow) => ({ clock, repo: store.alerts, intervalMs: 5_000, measures: { window, dlqSize: async () => 0, costPerDay: async () => 0 } });
  const a = new AlertService(deps(before));
  await a.start(rules);
  for (let i = 0; i < 5; i++) before.add({ functionName: 'f', status: 'error', durationMs: 3, coldStart: false }, clock.now());
  assert.deepEqual((await a.tick()).map((e) => e.kind), ['firing']);
  a.stop();

  // The restart: the recent window starts empty; the rule's state comes from the store.
  clock.advance(10_000);
  const after = new RecentWindow();
  after.coveredFrom = clock.now(); // it holds what it saw since this start (as Observability sets it)
  const b = new AlertService(deps(after));
  await b.start(rules);
  assert.equal(b.view('errors')?.state.status, 'firing');
  assert.equal(b.view('errors')?.state.since, 1_700_000_000_000);
  clock.advance(30_000);
  assert.deepEqual(await b.tick(), [], 'half a window of no data after the restart is no resolve');
  assert.equal(b.view('errors')?.state.status, 'firing');
  clock.advance(30_000);
  after.add({ functionName: 'f', status: 'success', durationMs: 3, coldStart: false }, clock.now());
  assert.deepEqual((await b.tick()).map((e) => e.kind), ['resolved']);
  b.stop();

  // And the resolve is remembered too: a third start shows ok, with no second resolve.
  const c = new AlertService(deps(new RecentWindow()));
  await c.start(rules);
  assert.equal(c.view('errors')?.state.status, 'ok');
  clock.advance(120_000);
  assert.deepEqual(await c.tick(), []);
  assert.deepEqual((await store.alerts.listEvents({ rule: 'errors', limit: 5 })).map((e) => e.kind), ['resolved', 'firing']);
  // Replacing or deleting the rule forgets its state.
  await c.put({ metric: 'error_rate', threshold: 0.3 }, 'errors');
  await c.remove('errors');
  assert.deepEqual(await store.alerts.listStates(), []);
  c.stop();
  await store.close();
});
