/**
 * Observability end to end on the real platform: record fields against a known workload,
 * logs streamed live over SSE (API and `nimbus logs --follow`), trace context propagated
 * to outbound fetch and async children, /metrics, usage equal to the records, and the
 * off switch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FROM_SOURCE, ROOT, cli, eventually, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { SINK_ALLOWED } from '../helpers/sink.ts';

describe('observability', () => {
  let p: RunningPlatform;
  const seen: IncomingHttpHeaders[] = [];
  const sink = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.end('ok');
  });
  let sinkUrl = '';
  before(async () => {
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
    p = await startPlatform({ args: ['--log-limit', '2kb', ...SINK_ALLOWED] });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    sink.close();
  });

  const record = (id: string) => invocationRecord<Record<string, any>>(p, id);

  it('a function that sleeps 50 ms and holds 30 MB has a record that says so', async () => {
    await p.deploy(
      'mem',
      `export async function handler() {
        const keep = [];
        for (let i = 0; i < 30; i++) keep.push(new Uint8Array(1024 * 1024).fill(i + 1));
        await new Promise((r) => setTimeout(r, 50));
        let sum = 0;
        for (const k of keep) sum += k[0];
        return sum;
      }`,
      { memoryMb: 256 },
    );
    const res = await p.api('/api/v1/functions/mem/invoke', { method: 'POST', body: '{"pad":"xxxx"}' });
    assert.equal(res.status, 200);
    const r = await record(res.headers.get('x-nimbus-invocation-id') as string);
    assert.equal(r.memoryMb, 256);
    assert.ok(r.durationMs >= 50, `duration ${r.durationMs}`);
    assert.equal(r.billedMs, Math.max(1, Math.ceil(r.billedMs)));
    assert.ok(r.billedMs >= 50 && r.billedMs <= r.durationMs + 1, `billed ${r.billedMs} of ${r.durationMs}`);
    assert.ok(r.peakMemoryBytes >= 30 * 1024 * 1024 && r.peakMemoryBytes < 120 * 1024 * 1024, `peak ${r.peakMemoryBytes}`);
    assert.ok(r.cpuMs > 0 && r.cpuMs < r.durationMs + 5, `cpu ${r.cpuMs}`);
    assert.ok(r.occupancyMs >= 50, `occupancy ${r.occupancyMs}`);
    assert.equal(r.coldStart, true);
    assert.ok(r.initMs > 0);
    assert.equal(r.trigger, 'api');
    assert.equal(r.requestBytes, 14);
    assert.equal(r.attempt, 1);
    assert.match(r.traceId, /^[0-9a-f]{32}$/);
  });

  it('logs: structured lines, the truncation marker, and a live SSE stream (API and CLI)', async () => {
    await p.deploy(
      'chatty',
      `export async function handler(e) {
        console.log({ step: 'start', n: e.n });
        console.warn('about to shout');
        for (let i = 0; i < e.n; i++) console.log('line ' + i + ' ' + 'x'.repeat(90));
        return e.n;
      }`,
    );
    const ac = new AbortController();
    const res = await p.api('/api/v1/logs?function=chatty&follow=true', { signal: ac.signal, headers: { accept: 'text/event-stream' } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const read = async (until: (t: string) => boolean) => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    await read((t) => t.includes('event: ready'));
    const small = await p.api('/api/v1/functions/chatty/invoke', { method: 'POST', body: '{"n":3}' });
    const id = small.headers.get('x-nimbus-invocation-id') as string;
    await read((t) => t.includes('line 2 '));
    const events = text.split('\n\n').filter((b) => b.startsWith('event: log')).map((b) => JSON.parse(b.split('data: ')[1]));
    assert.deepEqual(events.map((e) => e.level), ['info', 'warn', 'info', 'info', 'info']);
    assert.deepEqual(events[0].data, { step: 'start', n: 3 });
    assert.ok(events.every((e) => e.invocationId === id && e.functionName === 'chatty' && typeof e.t === 'number'));
    ac.abort();
    // Past the 2 KB cap: every line below it is kept, then one visible marker.
    const big = await p.api('/api/v1/functions/chatty/invoke', { method: 'POST', body: '{"n":100}' });
    const r = await record(big.headers.get('x-nimbus-invocation-id') as string);
    assert.equal(r.logsTruncated, true);
    const kept = r.logs.filter((l: { msg: string }) => l.msg.startsWith('line '));
    assert.deepEqual(kept.map((l: { msg: string }) => Number(l.msg.split(' ')[1])), kept.map((_: unknown, i: number) => i), 'no line lost below the cap');
    assert.match(r.logs[r.logs.length - 1].msg, /truncated/);
    // Filters over history.
    const warn = (await (await p.api(`/api/v1/logs?function=chatty&level=warn&invocation=${id}`)).json()) as { items: Array<{ msg: string }> };
    assert.deepEqual(warn.items.map((l) => l.msg), ['about to shout']);
    const grep = await cli(p, ['logs', 'chatty', '--grep', 'LINE 1 ', '--since', '5m']);
    assert.equal(grep.stdout.trim().split('\n').length, 2, grep.stdout);
    // A name that is no function is an error, not an empty log (with --follow too).
    for (const args of [['logs', 'nosuch'], ['logs', 'nosuch', '--follow']]) {
      const missing = await cli(p, args);
      assert.equal(missing.code, 1, `${args.join(' ')}: ${missing.stderr}`);
      assert.match(missing.stderr, /NIMBUS_ERR_FUNCTION_NOT_FOUND/);
    }
  });

  it('logs --follow starts with the last 10 lines, as tail -f, then shows new lines live; --limit asks for more', async () => {
    /** `nimbus logs <name> --follow --json …` running; `lines` grows as it prints. */
    const follower = (name: string, extra: string[]) => {
      const proc = spawn(process.execPath, [BIN, 'logs', name, '--follow', '--json', ...extra], {
        cwd: ROOT,
        env: { ...process.env, ...FROM_SOURCE, NIMBUS_URL: p.url, NIMBUS_DATA: p.dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      let buf = '';
      proc.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        lines.push(...parts.filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg));
      });
      return { lines, proc };
    };
    for (const [name, extra, from] of [['tail', [], 20], ['tail-more', ['--limit', '25'], 5]] as const) {
      await p.deploy(name, `export async function handler(e) { for (let i = 0; i < e.n; i++) console.log(e.tag + ' ' + i); return e.n; }`);
      const history = await p.api(`/api/v1/functions/${name}/invoke`, { method: 'POST', body: '{"n":30,"tag":"old"}' });
      assert.equal(history.status, 200);
      const f = follower(name, [...extra]);
      try {
        const expected = Array.from({ length: 30 - from }, (_, i) => `old ${from + i}`);
        // History comes after the follower has subscribed: once it shows, a new line is live.
        await eventually(async () => f.lines.length >= expected.length, 15_000);
        await p.api(`/api/v1/functions/${name}/invoke`, { method: 'POST', body: '{"n":1,"tag":"live"}' });
        await eventually(async () => f.lines.includes('live 0'), 15_000);
        assert.deepEqual(f.lines, [...expected, 'live 0'], `what logs --follow ${extra.join(' ')} showed`);
        assert.equal(f.proc.exitCode, null, 'the follower keeps running');
      } finally {
        f.proc.kill('SIGINT');
      }
    }
  });

  it('an uncaught error is logged with its stack in source positions (API files and CLI bundle); the caller gets no stack', async () => {
    const source = [
      'interface Order { id: string; total: number }',
      '',
      'function check(o: Order): number {',
      '  if (o.total < 0) throw new RangeError(`order ${o.id} has a negative total`);',
      '  return o.total;',
      '}',
      'export default { async fetch(req: Request) { return Response.json(check((await req.json()) as Order)); } };',
    ].join('\n');
    const uncaught = async (fn: string) => {
      const res = await fetch(`${p.url}/fn/${fn}/`, { method: 'POST', body: '{"id":"a1","total":-5}' });
      assert.equal(res.status, 500);
      const problem = await res.text();
      assert.doesNotMatch(problem, /\.ts:\d|\.js:\d/, 'no stack in the answer');
      const r = await record(res.headers.get('x-nimbus-invocation-id') as string);
      const line = r.logs.find((l: { msg: string }) => l.msg.startsWith('Uncaught RangeError: order a1 has a negative total'));
      assert.ok(line, JSON.stringify(r.logs));
      assert.equal(line.level, 'error');
      return line.msg as string;
    };
    await p.deploy('thrower', source);
    assert.match(await uncaught('thrower'), /\n {4}at check \(index\.ts:4:26\)/);
    // Only a comment line added: the same bundle, another map, so a new version with the right lines.
    const moved = await p.deploy('thrower', '// moved down a line\n' + source);
    assert.equal(moved.created, true);
    assert.match(await uncaught('thrower'), /\n {4}at check \(index\.ts:5:26\)/);
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-stack-'));
    writeFileSync(join(dir, 'order.ts'), source);
    const deployed = await cli(p, ['deploy', 'thrower2', join(dir, 'order.ts')]);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(await uncaught('thrower2'), /\n {4}at check \(order\.ts:4:26\)/);
    // A directory deployed: names relative to it.
    mkdirSync(join(dir, 'app', 'src'), { recursive: true });
    writeFileSync(join(dir, 'app', 'src', 'index.ts'), source);
    const fromDir = await cli(p, ['deploy', 'thrower4', join(dir, 'app')]);
    assert.equal(fromDir.code, 0, fromDir.stderr);
    assert.match(await uncaught('thrower4'), /\n {4}at check \(src\/index\.ts:4:26\)/);
    rmSync(dir, { recursive: true, force: true });
    const bad = await p.api('/api/v1/functions/thrower3', { method: 'PUT', body: JSON.stringify({ source: { bundle: 'var __nimbus_module = {}', sourceMap: '{"version":2}' } }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'NIMBUS_ERR_VALIDATION');
  });

  it('traceparent joins the caller\'s trace and reaches outbound fetch and async children', async () => {
    await p.deploy(
      'caller',
      `export async function handler(e, ctx) {
        await fetch(${JSON.stringify(sinkUrl)});
        return 'called';
      }`,
    );
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await p.api('/api/v1/functions/caller/invoke', { method: 'POST', body: '{}', headers: { traceparent: tp } });
    assert.equal(res.status, 200);
    const r = await record(res.headers.get('x-nimbus-invocation-id') as string);
    assert.equal(r.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(r.parentSpanId, '00f067aa0ba902b7');
    assert.equal(seen.at(-1)?.traceparent, `00-4bf92f3577b34da6a3ce929d0e0e4736-${r.spanId}-01`);
    // Async: the submit's traceparent is kept in the queue and handed to the attempt.
    const a = await p.api('/api/v1/functions/caller/invoke', { method: 'POST', body: '{}', headers: { traceparent: tp, prefer: 'respond-async' } });
    assert.equal(a.status, 202);
    const ar = await record(a.headers.get('x-nimbus-invocation-id') as string);
    assert.equal(ar.trigger, 'async');
    assert.equal(ar.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(ar.parentSpanId, '00f067aa0ba902b7');
  });

  it('/metrics, top and usage agree with the records', async () => {
    const anonymous = await fetch(`${p.url}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.equal(((await anonymous.json()) as { code: string }).code, 'NIMBUS_ERR_UNAUTHORIZED');
    const metrics = await (await p.api('/metrics')).text();
    assert.match(metrics, /nimbus_invocations_total\{function="mem",status="success",trigger="api"\} 1/);
    assert.match(metrics, /nimbus_cold_starts_total\{function="mem"\} 1/);
    assert.match(metrics, /nimbus_init_duration_seconds_count\{function="mem"\} 1/);
    assert.match(metrics, /nimbus_instances\{function="mem",state="idle"\} 1/);
    assert.match(metrics, /# TYPE nimbus_dlq_size gauge/);
    const top = (await (await p.api('/api/v1/top?window=1m')).json()) as { items: Array<{ function: string; requests: number }> };
    assert.equal(top.items.find((t) => t.function === 'chatty')?.requests, 2);
    const records = ((await (await p.api('/api/v1/invocations?limit=1000')).json()) as { items: Array<{ billedMs: number; memoryMb: number; functionName: string }> }).items;
    const usage = (await (await p.api('/api/v1/usage?since=1h')).json()) as { total: { requests: number; billedMs: number; gbSeconds: number } };
    assert.equal(usage.total.requests, records.length);
    assert.equal(usage.total.billedMs, records.reduce((n, r) => n + r.billedMs, 0));
    const gbs = records.reduce((n, r) => n + (r.memoryMb / 1024) * (r.billedMs / 1000), 0);
    assert.ok(Math.abs(usage.total.gbSeconds - gbs) < 1e-5);
    const csv = await cli(p, ['usage', '--since', '1h', '--csv']);
    assert.match(csv.stdout, /^function,period,requests/);
    const table = await cli(p, ['usage', '--by', 'day']);
    assert.match(table.stdout, /TOTAL/);
    // A format it does not know, or a period that ends before it starts, is refused, not answered with something else.
    for (const [query, field] of [['format=xml', 'format'], ['since=1d&until=2d', 'until']]) {
      const refused = await p.api(`/api/v1/usage?${query}`);
      assert.equal(refused.status, 400, query);
      const problem = (await refused.json()) as { code: string; field: string };
      assert.deepEqual([problem.code, problem.field], ['NIMBUS_ERR_VALIDATION', field], query);
    }
    assert.equal((await p.api('/api/v1/usage?format=json', { headers: { accept: 'text/csv' } })).headers.get('content-type'), 'application/json');
  });

  it('alerts by API and CLI', async () => {
    const set = await cli(p, ['alerts', 'set', 'many', '--metric', 'invocations', '--threshold', '0', '--window', '1h']);
    assert.equal(set.code, 0, set.stderr);
    const list = await cli(p, ['alerts', '--json']);
    assert.equal((JSON.parse(list.stdout) as { items: Array<{ rule: { name: string } }> }).items[0].rule.name, 'many');
    const bad = await p.api('/api/v1/alerts/x', { method: 'PUT', body: '{"metric":"nope","threshold":1}' });
    assert.equal(bad.status, 400);
    // A rule on a function that is not deployed is refused (it could never fire), and not kept.
    const typo = await cli(p, ['alerts', 'set', 'typo', '--metric', 'error_rate', '--threshold', '0.1', '--function', 'no-such-fn']);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /NIMBUS_ERR_FUNCTION_NOT_FOUND|no-such-fn/);
    assert.equal((JSON.parse((await cli(p, ['alerts', '--json'])).stdout) as { items: unknown[] }).items.length, 1);
    assert.equal((await cli(p, ['alerts', 'rm', 'many'])).code, 0);
  });
});

it('--no-observability: no records, 409 on observability routes, /metrics 404 (--metrics-public: without a token)', async () => {
  const p = await startPlatform({ args: ['--no-observability', '--metrics-public'] });
  try {
    await p.deploy('f', 'export async function handler() { console.log("x"); return 1; }');
    const res = await p.api('/api/v1/functions/f/invoke', { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    // No wait for a flush: a kept record is answered from memory before it is written, and
    // it is kept by the time a later invocation has been answered.
    assert.equal((await p.api('/api/v1/functions/f/invoke', { method: 'POST', body: '{}' })).status, 200);
    assert.equal((await p.api(`/api/v1/invocations/${res.headers.get('x-nimbus-invocation-id')}`)).status, 404);
    assert.equal((await p.api('/api/v1/usage')).status, 409);
    assert.equal((await fetch(`${p.url}/metrics`)).status, 404);
  } finally {
    await p.stop();
    p.cleanup();
  }
});

void spawn;
void BIN;
void ROOT;
