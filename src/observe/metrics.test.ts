import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import type { InvocationRecord } from '../core/types.ts';
import { sampleRecord } from '../store/contract.ts';
import { DURATION_BUCKETS, Metrics } from './metrics.ts';

/** The same families, fed the way prom-client is meant to be fed: one call per record. */
function reference(records: readonly InvocationRecord[]): Promise<string> {
  const registers = [new Registry()];
  const invocations = new Counter({ name: 'nimbus_invocations_total', help: 'Invocations by function, status and trigger.', labelNames: ['function', 'status', 'trigger'], registers });
  const duration = new Histogram({ name: 'nimbus_invocation_duration_seconds', help: 'Invocation duration as the platform saw it.', labelNames: ['function'], buckets: DURATION_BUCKETS, registers });
  const init = new Histogram({ name: 'nimbus_init_duration_seconds', help: 'Instance start (init) time of cold starts.', labelNames: ['function'], buckets: DURATION_BUCKETS, registers });
  const cold = new Counter({ name: 'nimbus_cold_starts_total', help: 'Invocations that waited for an instance to start.', labelNames: ['function'], registers });
  const throttles = new Counter({ name: 'nimbus_throttles_total', help: 'Invocations refused because every instance was busy and the queue full (or its wait ran out).', labelNames: ['function'], registers });
  const billed = new Counter({ name: 'nimbus_billed_gb_seconds_total', help: 'Configured memory (GB) x billed duration (s).', labelNames: ['function'], registers });
  const opened = new Counter({ name: 'nimbus_sockets_opened_total', help: 'Outbound TCP/TLS sockets functions opened (Node layer net/tls, cloudflare:sockets).', labelNames: ['function'], registers });
  const received = new Counter({ name: 'nimbus_socket_received_bytes_total', help: 'Bytes functions received on their outbound sockets.', labelNames: ['function'], registers });
  const sent = new Counter({ name: 'nimbus_socket_sent_bytes_total', help: 'Bytes functions sent on their outbound sockets.', labelNames: ['function'], registers });
  for (const r of records) {
    const fn = { function: r.functionName };
    invocations.inc({ ...fn, status: r.status, trigger: r.trigger });
    if (r.status === 'throttled') {
      throttles.inc(fn);
      continue;
    }
    duration.observe(fn, r.durationMs / 1000);
    if (r.coldStart) (cold.inc(fn), init.observe(fn, r.initMs / 1000));
    if (r.billedMs > 0) billed.inc(fn, ((r.memoryMb / 1024) * r.billedMs) / 1000);
    if (r.sockets?.opened) opened.inc(fn, r.sockets.opened);
    if (r.sockets?.bytesIn) received.inc(fn, r.sockets.bytesIn);
    if (r.sockets?.bytesOut) sent.inc(fn, r.sockets.bytesOut);
  }
  return registers[0].metrics();
}

/** Metric families by name, each as its sorted lines (family order is not part of the format). */
function families(text: string, names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const block of text.split('\n\n')) {
    const name = /^# HELP (\S+)/.exec(block)?.[1];
    if (name && names.includes(name)) out.set(name, block.trim().split('\n').sort());
  }
  return out;
}

test('/metrics counts records exactly as prom-client metrics fed one call per record would', async () => {
  const records: InvocationRecord[] = [];
  const statuses = ['success', 'error', 'timeout', 'throttled'] as const;
  const triggers = ['http', 'async', 'api'] as const;
  for (let i = 0; i < 500; i++) {
    records.push(
      sampleRecord(`r${i}`, {
        functionName: i % 3 === 0 ? 'other' : 'hello',
        status: statuses[i % 7 === 0 ? 1 + (i % 3) : 0],
        trigger: triggers[i % 3],
        durationMs: (i * 37) % 2000 === 0 ? 0.5 : ((i * 37) % 2000) / 3,
        billedMs: i % 11 === 0 ? 0 : 1 + (i % 50),
        memoryMb: i % 2 === 0 ? 128 : 512,
        coldStart: i % 13 === 0,
        initMs: (i % 13) * 4.5,
        ...(i % 5 === 0 ? { sockets: { opened: i % 10 === 0 ? 1 : 0, bytesIn: i * 100, bytesOut: i * 3 } } : {}),
      }),
    );
  }
  records.push(sampleRecord('edge', { durationMs: 1, billedMs: 1 }), sampleRecord('big', { durationMs: 2e6, billedMs: 2e6 }));
  const metrics = new Metrics({ pools: () => [], asyncCounts: async () => [] });
  for (const r of records) metrics.onRecord(r);
  const names = [
    'nimbus_invocations_total',
    'nimbus_invocation_duration_seconds',
    'nimbus_init_duration_seconds',
    'nimbus_cold_starts_total',
    'nimbus_throttles_total',
    'nimbus_billed_gb_seconds_total',
    'nimbus_sockets_opened_total',
    'nimbus_socket_received_bytes_total',
    'nimbus_socket_sent_bytes_total',
  ];
  const got = families(await metrics.text(), names);
  const want = families(await reference(records), names);
  assert.equal(got.size, names.length);
  for (const name of names) {
    const [g, w] = [got.get(name)!, want.get(name)!];
    assert.equal(g.length, w.length, name);
    for (let i = 0; i < g.length; i++) {
      if (w[i].startsWith('#')) {
        assert.equal(g[i], w[i]);
        continue;
      }
      // Sums may differ in the last digits (added in another order).
      const [gl, gv] = [g[i].replace(/ [^ ]+$/, ''), Number(g[i].split(' ').at(-1))];
      const [wl, wv] = [w[i].replace(/ [^ ]+$/, ''), Number(w[i].split(' ').at(-1))];
      assert.equal(gl, wl, name);
      assert.ok(Math.abs(gv - wv) <= 1e-9 * Math.max(1, Math.abs(wv)), `${gl}: ${gv} vs ${wv}`);
    }
  }
  assert.match(await metrics.text(), /nimbus_invocation_duration_seconds_bucket\{le="\+Inf",function="hello"\} \d+/);
});

test('a function with no records yet shows no invocation series; counters start when it is first seen', async () => {
  const metrics = new Metrics({ pools: () => [], asyncCounts: async () => [] });
  assert.doesNotMatch(await metrics.text(), /nimbus_invocations_total\{/);
  metrics.onRecord(sampleRecord('t', { status: 'throttled' }));
  const text = await metrics.text();
  assert.match(text, /nimbus_throttles_total\{function="hello"\} 1/);
  assert.doesNotMatch(text, /nimbus_invocation_duration_seconds_count\{function="hello"\}/, 'a throttle has no duration');
});

test('records dropped in a store outage are counted in nimbus_records_dropped_total', async () => {
  let dropped = 0;
  const metrics = new Metrics({ pools: () => [], asyncCounts: async () => [], recordsDropped: () => dropped });
  assert.match(await metrics.text(), /^nimbus_records_dropped_total 0$/m);
  dropped = 42;
  assert.match(await metrics.text(), /^nimbus_records_dropped_total 42$/m);
});

test('nimbus_records_unwritten is what the recorder holds unwritten at the scrape', async () => {
  let unwritten = 7;
  const metrics = new Metrics({ pools: () => [], asyncCounts: async () => [], recordsUnwritten: () => unwritten });
  assert.match(await metrics.text(), /^nimbus_records_unwritten 7$/m);
  unwritten = 0;
  assert.match(await metrics.text(), /^nimbus_records_unwritten 0$/m);
});
