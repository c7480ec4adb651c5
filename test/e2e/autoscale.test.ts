/**
 * Autoscaling end to end against the real server (`nimbus up`, loopback only): a step
 * load from idle to 40 concurrent clients on a function that holds each request ~100 ms
 * at target 10, a live `nimbus scale --max 2` under load, then back to min and, after
 * `nimbus scale --min 0`, to zero once the idle period has passed. Windows are shortened
 * (--scale-window 10s, --scale-panic-window 1s, idle 2 s) so the test takes ~30 s.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const FN = 'step';
const CODE = `export default { async fetch() { await new Promise((r) => setTimeout(r, 100)); return new Response('ok'); } };`;
const CLIENTS = 40;

interface Scale {
  current: number;
  desired: number;
  ready: number;
  starting: number;
  draining: number;
  inFlight: number;
  queued: number;
  mode: string | null;
  settings: { minInstances: number; maxInstances: number; targetConcurrency: number; scaleDownDelayMs: number };
  override: Record<string, number> | null;
  decisions: Array<{ at: number; desired: number; mode: string; boundBy: string; trigger: string; reason: string }>;
}

interface Sample extends Scale {
  t: number;
}

describe('autoscaling end to end', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform({ args: ['--scale-window', '10s', '--scale-panic-window', '1s'] });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  const scale = async (): Promise<Scale> => {
    const res = await p.api(`/api/v1/functions/${FN}/scale`);
    assert.equal(res.status, 200);
    return (await res.json()) as Scale;
  };

  it('0 → step load → target-sized instances, live max, back to min, then to zero after the idle period', async () => {
    const t0 = Date.now();
    await p.deploy(FN, CODE, { concurrency: 10, targetConcurrency: 10, minInstances: 1, maxInstances: 6, idleTimeoutMs: 2000, timeoutMs: 10_000 });
    // Warm-up on deploy: the minimum is started without a request.
    await eventually(async () => (await scale()).ready === 1, 10_000);

    // Sample the scale status every 100 ms for the whole run.
    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push({ ...(await scale()), t: Date.now() - t0 });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Step load: 40 clients, each sending its next request as soon as the last answered.
    const statuses = new Map<number, number>();
    let load = true;
    const loadStart = Date.now() - t0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (load) {
        const res = await fetch(`${p.url}/fn/${FN}/`);
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    });
    // The plateau: from when the step has brought 3 instances up, the next 20 samples.
    const sampled = (n: number) => eventually(async () => samples.length >= n, 20_000, 50);
    await eventually(async () => (await scale()).ready >= 3, 20_000, 100);
    const plateauFrom = samples.length;
    await sampled(plateauFrom + 20);
    const phase1 = samples.slice(plateauFrom, plateauFrom + 20);

    // Live: lower max under load, without a new version.
    // Max 2, well under the ~4 the load asks for: on a slow machine the clients' own overhead can
    // bring the measured demand down to 3, and the live max must still be the bound that holds.
    const scaled = await cli(p, ['scale', FN, '--max', '2']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.match(scaled.stdout, /scaling changed live \(no new version\)/);
    const maxChangedAt = Date.now() - t0;
    // Once the busy surplus has drained to the live max, the next 10 samples stay within it.
    await eventually(async () => {
      const s = await scale();
      return s.ready + s.starting + s.draining <= 2;
    }, 20_000, 100);
    const drainedFrom = samples.length;
    await sampled(drainedFrom + 10);
    const phase2 = samples.slice(drainedFrom, drainedFrom + 10);
    load = false;
    await Promise.all(clients);
    const loadEnd = Date.now() - t0;

    // Back to min (1) once panic is over and the idle period has passed…
    await eventually(async () => {
      const s = await scale();
      return s.current === 1 && s.draining === 0;
    }, 25_000, 200);
    const atMin = Date.now() - t0;
    // …stays there (min keeps it): a decision made after the idle period (2 s) keeps 1…
    const idleOver = t0 + loadEnd + 2000;
    const afterIdle = await eventually(async () => (await scale()).decisions.find((d) => d.at >= idleOver), 10_000, 200);
    assert.equal(afterIdle.desired, 1, `a decision after the idle period: ${afterIdle.reason}`);
    assert.equal((await scale()).current, 1, 'min instances are kept through the idle period');
    // …and to zero once min is 0.
    const zeroed = await cli(p, ['scale', FN, '--min', '0']);
    assert.equal(zeroed.code, 0, zeroed.stderr);
    const minZeroAt = Date.now() - t0;
    await eventually(async () => (await scale()).current === 0, 10_000, 200);
    const atZero = Date.now() - t0;
    sampling = false;
    await sampler;

    // The live settings show where the function is listed, marked as live, next to the deployed config.
    const detail = (await (await p.api(`/api/v1/functions/${FN}`)).json()) as { scaleOverride: unknown; current: { config: { maxInstances: number } } };
    assert.deepEqual(detail.scaleOverride, { maxInstances: 2, minInstances: 0 });
    const listed = await cli(p, ['ls']);
    assert.match(listed.stdout, new RegExp(`${FN}\\s.*\\s0–2 \\*`));
    assert.match(listed.stdout, /scaled live with `nimbus scale`/);

    // Figures, for the report.
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    const peak1 = Math.max(...samples.filter((s) => s.t < maxChangedAt).map((s) => s.ready + s.starting + s.draining));
    const peak2 = Math.max(...phase2.map((s) => s.ready + s.starting + s.draining));
    const maxQueued = Math.max(...samples.map((s) => s.queued));
    const final = await scale();
    const trace = samples.map((s) => `${(s.t / 1000).toFixed(1)}s:${s.ready}+${s.starting}${s.draining ? `-${s.draining}` : ''}/${s.desired}${s.mode === 'panic' ? 'P' : ''}`).join(' ');
    console.log(
      JSON.stringify({
        requests: total,
        statuses: Object.fromEntries(statuses),
        plateauReady: phase1.map((s) => s.ready),
        peakBeforeMaxChange: peak1,
        peakAfterMaxChange: peak2,
        maxQueued,
        msLoadStart: loadStart,
        msMaxChange: maxChangedAt,
        msLoadEnd: loadEnd,
        msAtMin: atMin,
        msMinZero: minZeroAt,
        msAtZero: atZero,
        decisions: final.decisions.slice(0, 12).map((d) => `${d.trigger} ${d.mode} ${d.boundBy}: ${d.reason}`),
      }, null, 1),
    );
    console.log(`trace (ready+starting-draining/desired, P = panic): ${trace}`);

    // Nothing dropped: 40 clients stay below the queue limit (100), every answer is a 200.
    assert.deepEqual([...statuses.keys()], [200], `statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok(total >= CLIENTS, `only ${total} requests`);
    // The plateau: 40 at target 10 → 4 (±1), never above max 6.
    const plateau = phase1.map((s) => s.ready).sort((a, b) => a - b)[Math.floor(phase1.length / 2)];
    assert.ok(plateau >= 3 && plateau <= 5, `median ready on the plateau is ${plateau}, not 4±1`);
    assert.ok(peak1 <= 6, `peak ${peak1} above max 6`);
    // After the live change: never above 2 once the busy surplus has drained.
    assert.ok(peak2 <= 2, `peak ${peak2} above the live max 2`);
    assert.ok(maxQueued <= 100, 'the queue stayed within its limit');
    // Live settings are an override on version 1, not a new version.
    assert.equal(final.settings.maxInstances, 2);
    assert.deepEqual(final.override, { maxInstances: 2, minInstances: 0 });
    const versions = (await (await p.api(`/api/v1/functions/${FN}/versions`)).json()) as { items: unknown[] };
    assert.equal(versions.items.length, 1);
    // The decisions say why: the step from idle panicked or hit the backlog floor; the way down is rate-limited.
    // The API keeps only the latest decisions, so look at every decision the sampler saw along the way.
    const seen = [...samples.flatMap((s) => s.decisions), ...final.decisions];
    assert.ok(seen.some((d) => d.desired >= 3 && ['backlog', 'activation', 'none', 'panic-hold'].includes(d.boundBy)));
    assert.ok(seen.some((d) => d.boundBy === 'max'), 'a decision was capped by the live max');
    assert.equal(final.decisions[0].desired, 0);

    // Each record says whether it was a cold start and how long init took.
    const records: Array<{ id: string; trigger: string; coldStart: boolean; initMs: number; status: string; instanceId: string | null }> = [];
    let cursor: string | null = '';
    for (let page = 0; page < 20 && cursor !== null; page++) {
      const res = await p.api(`/api/v1/invocations?function=${FN}&limit=1000${cursor ? `&before=${cursor}` : ''}`);
      const body = (await res.json()) as { items: typeof records; next: string | null };
      records.push(...body.items);
      cursor = body.next;
    }
    const kinds = new Map<string, number>();
    for (const r of records) kinds.set(`${r.trigger} ${r.status}`, (kinds.get(`${r.trigger} ${r.status}`) ?? 0) + 1);
    assert.equal(records.length, total, `one record per request; records by trigger and status: ${JSON.stringify(Object.fromEntries(kinds))}, distinct ids ${new Set(records.map((r) => r.id)).size}`);
    const cold = records.filter((r) => r.coldStart);
    console.log(`records: ${records.length}, cold starts: ${cold.length}, init ms: ${cold.map((r) => r.initMs).join(', ')}`);
    // Cold: only requests that waited for an instance the step started, at most the hard
    // limit (10) per started instance. (Counted per instance from the records themselves: the
    // sampled peak can miss an instance that came and went between two samples.)
    const coldPerInstance = new Map<string, number>();
    for (const r of cold) coldPerInstance.set(String(r.instanceId), (coldPerInstance.get(String(r.instanceId)) ?? 0) + 1);
    assert.ok(cold.length >= 1, 'the step from one warm instance started others');
    assert.ok([...coldPerInstance.values()].every((n) => n <= 10), `cold requests per instance: ${[...coldPerInstance.values()].join(', ')}`);
    assert.ok(cold.every((r) => r.initMs > 0));
    assert.ok(records.filter((r) => !r.coldStart).every((r) => r.initMs === 0));
  });

  it('GET and PATCH /scale answer their documented schemas; nimbus info shows the scale section', async () => {
    const doc = (await (await fetch(`${p.url}/api/v1/openapi.json`)).json()) as { components: { schemas: Record<string, object> } };
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
    const status = ajv.getSchema('#/components/schemas/ScaleStatus')!;
    const got = await (await p.api(`/api/v1/functions/${FN}/scale`)).json();
    assert.ok(status(got), ajv.errorsText(status.errors));
    const patched = await p.api(`/api/v1/functions/${FN}/scale`, { method: 'PATCH', body: JSON.stringify({ maxInstances: null, targetConcurrency: 5 }) });
    assert.equal(patched.status, 200);
    const body = (await patched.json()) as Scale;
    assert.ok(status(body), ajv.errorsText(status.errors));
    assert.deepEqual(body.override, { minInstances: 0, targetConcurrency: 5 });
    const bad = await p.api(`/api/v1/functions/${FN}/scale`, { method: 'PATCH', body: JSON.stringify({ minInstances: 9, maxInstances: 2 }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { detail: string }).detail, /minInstances 9 is above maxInstances=2/);
    const missing = await p.api('/api/v1/functions/nope/scale');
    assert.equal(missing.status, 404);

    const info = await cli(p, ['info', FN]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /scaling {3}target 5\/instance, hard limit 10, min 0, max 6/);
    assert.match(info.stdout, /live override: minInstances, targetConcurrency/);
    assert.match(info.stdout, /instances 0 \(desired 0\)/);
    assert.match(info.stdout, /recent decisions/);
    assert.match(info.stdout, /down after 30\.0 s of less/, 'the default scale-down delay');

    // The scale-down delay is a live setting too.
    const delayed = await cli(p, ['scale', FN, '--scale-down-delay', '10s']);
    assert.equal(delayed.code, 0, delayed.stderr);
    assert.match(delayed.stdout, /down after 10\.0 s of less/);
    const after = await scale();
    assert.equal(after.settings.scaleDownDelayMs, 10_000);
    assert.deepEqual(after.override, { minInstances: 0, targetConcurrency: 5, scaleDownDelayMs: 10_000 });
    assert.ok(status(after), ajv.errorsText(status.errors));
  });
});
