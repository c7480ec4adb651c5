/**
 * Cluster mode end to end: three real node processes on one machine sharing PostgreSQL (a
 * schema of their own per test) and NATS. Deploys made on one node are served by the
 * others; async work survives a kill -9 of a node; a timer fires once across the cluster;
 * a workflow whose node dies finishes on another; topic events reach each subscription
 * while a node dies. Skipped with one line where PostgreSQL or NATS is unreachable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSkipReason, publishEvent, startCluster } from '../helpers/cluster.ts';
import { cli, eventually, type RunningPlatform } from '../helpers/platform.ts';
import { startSink } from '../helpers/sink.ts';
import { asyncSubmitter, noteReports, REPORTING_WORKER, type Seen } from '../helpers/async-crash.ts';

const skip = (await clusterSkipReason()) ?? false;

const VERSIONED = (v: number) => `export default { async fetch() { return new Response('v${v}'); } };`;

async function text(node: RunningPlatform, path: string): Promise<string> {
  return (await fetch(node.url + path)).text();
}

test('deploy on one node, invoke on the others; a redeploy reaches every node; logs followed on one node show lines written on another; cluster status lists the nodes', { skip, timeout: 120_000 }, async () => {
  const cluster = await startCluster(3);
  try {
    const [a, b, c] = cluster.nodes;
    await a.deploy('hello', VERSIONED(1));
    assert.deepEqual(await Promise.all([b, c].map((n) => text(n, '/fn/hello'))), ['v1', 'v1'], 'code loaded from the store on first call');
    await b.deploy('hello', VERSIONED(2));
    const deployedAt = Date.now();
    // a and c cached v1: the invalidation over the bus makes them drop it
    await eventually(async () => (await text(a, '/fn/hello')) === 'v2' && (await text(c, '/fn/hello')) === 'v2', 10_000, 20);
    const seenAfterMs = Date.now() - deployedAt;
    process.stdout.write(`# every node served the redeploy ${seenAfterMs} ms after it\n`);

    const status = await cli(c, ['cluster', 'status', '--json'], { NIMBUS_TOKEN: c.token });
    assert.equal(status.code, 0, status.stderr);
    const view = JSON.parse(status.stdout) as { self: string; store: string; bus: string; cronNode: string; nodes: Array<{ id: string; address: string; state: string; version: string }> };
    assert.deepEqual([view.store, view.bus, view.nodes.length], ['postgres', 'nats', 3]);
    assert.deepEqual(view.nodes.map((n) => n.state), ['alive', 'alive', 'alive']);
    assert.deepEqual(view.nodes.map((n) => n.address).sort(), [a.url, b.url, c.url].sort());
    assert.ok(view.nodes.some((n) => n.id === view.self) && view.nodes.some((n) => n.id === view.cronNode));
    const table = await cli(a, ['cluster', 'status'], { NIMBUS_TOKEN: a.token });
    assert.match(table.stdout, /3 of 3 nodes alive · store postgres · bus nats/);

    // live logs: followed on c, written on a
    await a.deploy('talk', `export async function handler(e) { console.log('said ' + e.n); return {}; }`);
    const follow = await c.api('/api/v1/logs?function=talk&follow=true');
    assert.equal(follow.status, 200);
    const reader = follow.body!.getReader();
    let streamed = '';
    const heard = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        streamed += Buffer.from(value).toString('utf8');
        if (/said \d+/.test(streamed)) return true;
      }
    })();
    let n = 0;
    let said = false;
    void heard.then((v) => (said = v));
    await eventually(async () => {
      await a.api('/api/v1/functions/talk/invoke', { method: 'POST', body: JSON.stringify({ n: ++n }) });
      return said;
    }, 15_000, 200);
    await reader.cancel();
    assert.match(streamed, /said \d+/);

    // a node that dies is shown stale once it has been silent for the lease time
    await b.kill();
    const stale = await eventually(async () => {
      const body = (await (await a.api('/api/v1/cluster')).json()) as { nodes: Array<{ address: string; state: string }> };
      return body.nodes.find((n) => n.address === b.url && n.state === 'stale');
    }, 20_000, 200);
    assert.ok(stale);
  } finally {
    await cluster.close();
  }
});

test('2,000 async invocations submitted across three nodes while one is killed with kill -9: every one succeeds, none is lost', { skip, timeout: 240_000 }, async () => {
  const TOTAL = 2_000;
  const seen = new Map<string, Seen>();
  let started = 0;
  const sink = await startSink(noteReports(seen, () => started++));
  const cluster = await startCluster(3);
  try {
    const [a] = cluster.nodes;
    await a.deploy('work', REPORTING_WORKER, { env: { SINK: sink.url }, maxInstances: 2, concurrency: 8, timeoutMs: 10_000 });
    await eventually(async () => (await Promise.all(cluster.nodes.map((n) => n.api('/api/v1/functions/work')))).every((r) => r.ok));
    const accepted = new Map<number, string>();
    const submit = asyncSubmitter(accepted);
    const victim = cluster.nodes[2];
    let next = 0;
    let killed = false;
    const killer = (async () => {
      await eventually(async () => accepted.size >= TOTAL / 3 && [...seen.values()].some((s) => s.done.length === 0), 120_000, 5);
      killed = true;
      await victim.kill();
    })();
    // 24 clients round-robin over the nodes; after the kill, the victim's share goes to the others
    await Promise.all(
      Array.from({ length: 24 }, async (_, client) => {
        for (let seq = next++; seq < TOTAL; seq = next++) {
          const live = cluster.nodes.filter((n) => !(killed && n === victim));
          let ok = await submit(live[(client + seq) % live.length], seq);
          while (!ok) ok = await submit(cluster.nodes[seq % 2], seq); // the victim died under this one: another node, same idempotency key
        }
      }),
    );
    await killer;
    assert.equal(accepted.size, TOTAL);
    const ids = new Set(accepted.values());
    const completed = (id: string) => (seen.get(id)?.done.length ?? 0) > 0;
    await eventually(async () => [...ids].every(completed), 150_000, 200).catch(() => {
      const lost = [...ids].filter((id) => !completed(id));
      assert.fail(`${lost.length} accepted invocations never completed, e.g. ${lost.slice(0, 3).join(', ')}`);
    });
    for (const [seq, id] of accepted) assert.equal(seen.get(id)!.seq, seq);
    const rerun = [...seen.values()].filter((s) => s.done.some((n) => n >= 2)).length;
    process.stdout.write(`# ${TOTAL} accepted, all completed; ${rerun} ran again after the kill (${started} attempts started)\n`);
    const counts = await eventually(async () => {
      const body = (await (await cluster.nodes[0].api('/api/v1/async?function=work&limit=1')).json()) as { counts: Record<string, number> };
      return body.counts.queued + body.counts.running === 0 ? body.counts : null;
    }, 30_000);
    assert.deepEqual([counts.succeeded, counts.dead], [TOTAL, 0]);
  } finally {
    await cluster.close();
    sink.close();
  }
});

test('a timer every second for 10 s fires 10 (±1) times across three nodes, not 30', { skip, timeout: 120_000 }, async () => {
  const ticks: string[] = [];
  const sink = await startSink((r) => void ticks.push(String(r.tick)));
  const cluster = await startCluster(3);
  try {
    const [a, b] = cluster.nodes;
    await a.deploy('tick', `export async function handler(e, ctx) { await fetch(ctx.env.SINK, { method: 'POST', body: JSON.stringify({ tick: e.time }) }); return {}; }`, { env: { SINK: sink.url } });
    // created on b: whichever node holds the cron lease learns of it over the bus
    const res = await b.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: 'tick', schedule: 'rate(1 second)' }) });
    const body = await res.text();
    assert.equal(res.status, 201, body);
    const trigger = JSON.parse(body) as { id: string; createdAt: number };
    const end = trigger.createdAt + 10_000;
    // wait until the tick at 10 s was delivered, then stop the timer
    await eventually(async () => ticks.some((t) => Date.parse(t) >= end), 30_000, 100);
    assert.equal((await a.api(`/api/v1/triggers/${trigger.id}`, { method: 'DELETE' })).status, 204);
    const inWindow = ticks.filter((t) => Date.parse(t) <= end);
    process.stdout.write(`# ${inWindow.length} ticks in 10 s (${ticks.length} deliveries in all)\n`);
    assert.ok(Math.abs(inWindow.length - 10) <= 1, `${inWindow.length} ticks in 10 s`);
    assert.equal(new Set(ticks).size, ticks.length, 'no tick delivered twice');
  } finally {
    await cluster.close();
    sink.close();
  }
});

test('a workflow standing in a Wait on a node that is killed finishes on another with the right output', { skip, timeout: 120_000 }, async () => {
  const cluster = await startCluster(3);
  try {
    const [a, b, c] = cluster.nodes;
    await a.deploy('tag', `export async function handler(e) { return { tagged: e.name + '!' }; }`);
    const definition = { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3, Next: 'T' }, T: { Type: 'Task', Resource: 'fn:tag', End: true } } };
    assert.equal((await a.api('/api/v1/workflows/slow', { method: 'PUT', body: JSON.stringify({ definition }) })).status, 201);
    const started = await b.api('/api/v1/workflows/slow/executions', { method: 'POST', body: JSON.stringify({ input: { name: 'cluster' } }) });
    const startedBody = await started.text();
    assert.equal(started.status, 201, startedBody);
    const { executionId } = JSON.parse(startedBody) as { executionId: string };
    await b.kill(); // b drove it: its lease runs out, a or c adopts it
    const done = await eventually(async () => {
      const e = (await (await c.api(`/api/v1/executions/${executionId}`)).json()) as { status: string; output: unknown };
      return e.status !== 'RUNNING' ? e : null;
    }, 60_000, 100).catch((error: unknown) => {
      throw new Error(`not finished; the nodes said:\n${a.output()}\n${c.output()}`, { cause: error });
    });
    assert.deepEqual([done.status, done.output], ['SUCCEEDED', { tagged: 'cluster!' }]);
    const { events } = (await (await a.api(`/api/v1/executions/${executionId}/history?limit=100`)).json()) as { events: Array<{ type: string }> };
    assert.equal(events.filter((h) => h.type === 'TaskScheduled').length, 1, 'the task ran once');
  } finally {
    await cluster.close();
  }
});

test('a stop and a callback task’s result sent to a node that does not drive the execution reach the one that does', { skip, timeout: 120_000 }, async () => {
  const tokens: string[] = [];
  const sink = await startSink((r) => void tokens.push(String(r.token)));
  const cluster = await startCluster(3);
  try {
    const [a, b, c] = cluster.nodes;
    await a.deploy('hand', `export async function handler(e, ctx) { await fetch(ctx.env.SINK, { method: 'POST', body: JSON.stringify({ token: e.token }) }); return {}; }`, { env: { SINK: sink.url } });
    const callback = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'hand', Payload: { 'token.$': '$$.Task.Token' } }, End: true } } };
    const waiting = { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 600, End: true } } };
    for (const [name, definition] of [['cb', callback], ['long', waiting]] as const) {
      assert.equal((await a.api(`/api/v1/workflows/${name}`, { method: 'PUT', body: JSON.stringify({ definition }) })).status, 201);
    }
    const start = async (name: string) => ((await (await a.api(`/api/v1/workflows/${name}/executions`, { method: 'POST', body: '{"input":{}}' })).json()) as { executionId: string }).executionId;
    const cb = await start('cb');
    const long = await start('long');
    const token = await eventually(async () => tokens[0]);
    // a drives both; the callback goes to b, the stop to c
    const done = await fetch(`${b.url}/api/v1/tasks/${encodeURIComponent(token)}/success`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ output: { via: 'b' } }) });
    assert.equal(done.status, 200, await done.text());
    const status = async (node: RunningPlatform, id: string) => (await (await node.api(`/api/v1/executions/${id}`)).json()) as { status: string; output: unknown };
    assert.deepEqual(await eventually(async () => ((await status(c, cb)).status === 'SUCCEEDED' ? status(c, cb) : null)), { ...(await status(c, cb)), output: { via: 'b' } });
    const stopped = await c.api(`/api/v1/executions/${long}/stop`, { method: 'POST', body: JSON.stringify({ error: 'Halt' }) });
    const stoppedBody = (await stopped.json()) as { status: string };
    assert.deepEqual([stopped.status, stoppedBody.status], [200, 'ABORTED']);
  } finally {
    await cluster.close();
    sink.close();
  }
});

test('topic events are delivered to each subscription while a node dies', { skip, timeout: 180_000 }, async () => {
  const EVENTS = 300;
  const deliveries = new Map<string, number[]>();
  const sink = await startSink((r) => {
    const key = `${String(r.sub)}/${String(r.event)}`;
    deliveries.set(key, [...(deliveries.get(key) ?? []), Number(r.attempt)]);
  });
  const cluster = await startCluster(3);
  try {
    const [a, b, c] = cluster.nodes;
    const consumer = (sub: string) =>
      `export async function handler(e, ctx) { await new Promise((r) => setTimeout(r, 10)); await fetch(ctx.env.SINK, { method: 'POST', body: JSON.stringify({ sub: '${sub}', event: e.id, attempt: ctx.attempt }) }); return {}; }`;
    await a.deploy('sub-a', consumer('a'), { env: { SINK: sink.url } });
    await a.deploy('sub-b', consumer('b'), { env: { SINK: sink.url } });
    assert.equal((await a.api('/api/v1/topics', { method: 'POST', body: '{"name":"orders"}' })).status, 201);
    for (const fn of ['sub-a', 'sub-b']) {
      assert.equal((await a.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: fn, topic: 'orders' }) })).status, 201);
    }
    const publish = (node: RunningPlatform, i: number) => publishEvent(node, 'orders', i);
    let killed = false;
    for (let i = 0; i < EVENTS; i++) {
      if (i === EVENTS / 2) {
        await eventually(async () => deliveries.size > 0);
        await c.kill();
        killed = true;
      }
      const nodes = killed ? [a, b] : [a, b, c];
      if (!(await publish(nodes[i % nodes.length], i))) assert.ok(await publish(a, i), `event ${i} republished`);
    }
    await eventually(async () => deliveries.size === EVENTS * 2, 120_000, 200).catch(() => assert.fail(`${deliveries.size} of ${EVENTS * 2} deliveries`));
    const twice = [...deliveries.entries()].filter(([, attempts]) => attempts.length > 1);
    process.stdout.write(`# ${EVENTS} events × 2 subscriptions delivered; ${twice.length} delivered again after the kill\n`);
    for (const [key, attempts] of twice) assert.equal(new Set(attempts).size, attempts.length, `${key}: a repeat is a later attempt of an interrupted one (${attempts})`);
    assert.ok(twice.length <= 40, `${twice.length} repeats: only what the dead node had in flight`);
  } finally {
    await cluster.close();
    sink.close();
  }
});
