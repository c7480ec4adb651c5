import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackgroundReport } from '../port.ts';
import { BackgroundCpu, REPORT_EVERY_MS } from './background-cpu.ts';

test('70 ms of every 100 ms passes a 1 s limit over a 10 s span within the second and a half; the report says so', () => {
  const reports: BackgroundReport[] = [];
  const bg = new BackgroundCpu(1_000, 10_000, (r) => reports.push(r));
  let now = 1_000_000;
  let alive = true;
  let ms = 0;
  for (; alive && ms < 30_000; ms += 10, now += 10) {
    // 10 ms samples: seven busy, three idle, per 100 ms.
    if (ms % 100 < 70) alive = bg.add(10, now);
  }
  assert.equal(alive, false);
  assert.ok(ms <= 1_500, `stopped after ${ms} ms`);
  assert.equal(reports.length, 1);
  assert.equal(reports[0].overLimit, true);
  assert.ok(reports[0].cpuMs > 1_000);
});

test('a light load lives on; what it used is reported every period and on flush, never twice', () => {
  const reports: BackgroundReport[] = [];
  const bg = new BackgroundCpu(1_000, 10_000, (r) => reports.push(r));
  let total = 0;
  for (let now = 0; now < 3 * REPORT_EVERY_MS; now += 100) {
    assert.equal(bg.add(2, now), true); // 2 % of the time: 200 ms per 10 s
    total += 2;
  }
  bg.flush();
  bg.flush();
  assert.ok(reports.length >= 3);
  assert.ok(reports.every((r) => !r.overLimit && r.fromMs <= r.toMs));
  assert.equal(reports.reduce((n, r) => n + r.cpuMs, 0), total);
});

test('CPU older than the span no longer counts', () => {
  const bg = new BackgroundCpu(100, 1_000, () => undefined);
  assert.equal(bg.add(90, 0), true);
  assert.equal(bg.inSpan(500), 90);
  assert.equal(bg.inSpan(1_100), 0);
  assert.equal(bg.add(90, 1_100), true);
  assert.equal(bg.add(20, 1_200), false);
});
