import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance } from '../runtime/port.ts';
import { InstanceMeter } from './attribution.ts';

function fakeInstance(id: string) {
  const s = { heapUsedBytes: 0, cpuMs: 0 };
  const instance = { id, stats: () => ({ ...s }) } as unknown as Instance;
  return { instance, s };
}

/** An instance whose CPU readings (cpuMs(), not stats()) are counted. */
function countingInstance(cpuMs: number) {
  const s = { cpuMs, reads: 0 };
  const instance = { id: 'i1', cpuMs: () => (s.reads++, s.cpuMs), stats: () => ({ heapUsedBytes: 0, cpuMs: s.cpuMs }) } as unknown as Instance;
  return { instance, s };
}

test('one invocation at a time: CPU, occupancy and peak are exactly the instance\'s', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const { instance, s } = fakeInstance('i1');
  s.cpuMs = 100; // used before (init): not this invocation's
  s.heapUsedBytes = 5e6;
  const aM = meter.begin(instance);
  now = 50;
  s.cpuMs = 130;
  s.heapUsedBytes = 35e6;
  assert.deepEqual(meter.end(aM), { cpuMs: 30, occupancyMs: 50, peakMemoryBytes: 35e6 });
  assert.equal(meter.busy(), 0, 'an idle instance is not followed');
});

test('concurrent invocations on one instance share its busy time and CPU; shares sum to the totals', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const { instance, s } = fakeInstance('i1');
  const aM = meter.begin(instance); // t=0
  now = 10;
  s.cpuMs = 10;
  const bM = meter.begin(instance); // a alone for 10 ms, 10 ms CPU
  now = 30;
  s.cpuMs = 30;
  s.heapUsedBytes = 8e6;
  const a = meter.end(aM); // 20 ms shared by two: +10 each
  now = 40;
  s.cpuMs = 34;
  s.heapUsedBytes = 1e6;
  const b = meter.end(bM); // b alone 10 ms, 4 ms CPU
  assert.deepEqual(a, { cpuMs: 20, occupancyMs: 20, peakMemoryBytes: 8e6 });
  assert.deepEqual(b, { cpuMs: 14, occupancyMs: 20, peakMemoryBytes: 8e6 });
  // The instance was busy 40 ms and used 34 ms CPU: nothing counted twice, nothing lost.
  assert.equal(a.occupancyMs + b.occupancyMs, 40);
  assert.equal(a.cpuMs + b.cpuMs, 34);
});

test('instances are accounted apart; tick() samples long invocations; a repeated end gives zeros', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const one = fakeInstance('i1');
  const two = fakeInstance('i2');
  const aM = meter.begin(one.instance);
  const bM = meter.begin(two.instance);
  now = 100;
  one.s.cpuMs = 60;
  one.s.heapUsedBytes = 50e6;
  meter.tick(); // a spike seen while it runs…
  one.s.heapUsedBytes = 2e6;
  now = 200;
  one.s.cpuMs = 70;
  two.s.cpuMs = 5;
  assert.deepEqual(meter.end(aM), { cpuMs: 70, occupancyMs: 200, peakMemoryBytes: 50e6 });
  assert.deepEqual(meter.end(bM), { cpuMs: 5, occupancyMs: 200, peakMemoryBytes: 0 });
  assert.deepEqual(meter.end(aM), { cpuMs: 0, occupancyMs: 0, peakMemoryBytes: 0 }, 'a second end counts nothing');
});

test('many overlapping invocations: each share equals the interval-by-interval split, and shares sum to the totals', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const { instance, s } = fakeInstance('i1');
  // A reference that splits every interval among the invocations open in it, one by one.
  const open = new Map<number, { cpu: number; wall: number }>();
  const marks = new Map<number, ReturnType<InstanceMeter['begin']>>();
  let last = { at: 0, cpu: 0 };
  const advance = () => {
    for (const r of open.values()) {
      r.wall += (now - last.at) / open.size;
      r.cpu += (s.cpuMs - last.cpu) / open.size;
    }
    last = { at: now, cpu: s.cpuMs };
  };
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  let next = 0;
  let busyWall = 0;
  let busyCpu = 0;
  const got: Array<{ cpuMs: number; occupancyMs: number }> = [];
  const want: Array<{ cpu: number; wall: number }> = [];
  for (let step = 0; step < 2000; step++) {
    const dt = Math.floor(random() * 5);
    const dcpu = Math.floor(random() * dt);
    now += dt;
    s.cpuMs += dcpu;
    if (open.size > 0) (busyWall += dt), (busyCpu += dcpu);
    advance();
    if (open.size === 0 || (open.size < 60 && random() < 0.55)) {
      const id = next++;
      open.set(id, { cpu: 0, wall: 0 });
      marks.set(id, meter.begin(instance));
    } else {
      const ids = [...open.keys()];
      const id = ids[Math.floor(random() * ids.length)];
      want.push(open.get(id)!);
      open.delete(id);
      got.push(meter.end(marks.get(id)!));
    }
  }
  for (const [id, r] of open) (want.push(r), got.push(meter.end(marks.get(id)!)));
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i].cpuMs - want[i].cpu) < 0.002, `cpu of #${i}: ${got[i].cpuMs} vs ${want[i].cpu}`);
    assert.ok(Math.abs(got[i].occupancyMs - want[i].wall) < 0.002, `occupancy of #${i}: ${got[i].occupancyMs} vs ${want[i].wall}`);
  }
  const sum = (k: 'cpuMs' | 'occupancyMs') => got.reduce((t, f) => t + f[k], 0);
  assert.ok(Math.abs(sum('occupancyMs') - busyWall) < 0.001 * got.length, 'busy time counted once');
  assert.ok(Math.abs(sum('cpuMs') - busyCpu) < 0.001 * got.length, 'busy CPU counted once');
  assert.ok(got.length > 900, `exercised ${got.length} invocations`);
  assert.equal(meter.busy(), 0);
});

test('heap readings: a busy instance is read at most every HEAP_REFRESH_MS, an invocation running HEAP_EVERY_MS or more at its end and on ticks; a reading raises the peak of the invocations open then', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const { instance, s } = fakeInstance('i1');
  s.heapUsedBytes = 1e6;
  const a = meter.begin(instance); // the first sample reads the heap
  now = 10;
  s.heapUsedBytes = 40e6;
  const b = meter.begin(instance); // 10 ms since the reading: none
  now = 15;
  assert.equal(meter.end(b).peakMemoryBytes, 1e6, 'a short invocation between readings has the last reading');
  now = 30;
  const c = meter.begin(instance); // still none (30 < HEAP_REFRESH_MS)
  assert.equal(meter.end(a).peakMemoryBytes, 40e6, 'a ran 30 ms: read at its end');
  now = 45;
  s.heapUsedBytes = 60e6;
  meter.tick(); // 15 ms since the last reading: none
  now = 55;
  meter.tick(); // c has run 25 ms: read
  s.heapUsedBytes = 2e6;
  now = 200;
  const d = meter.begin(instance); // 145 ms since the reading: read (2 MB), c still open
  assert.equal(meter.end(c).peakMemoryBytes, 60e6);
  now = 201;
  assert.equal(meter.end(d).peakMemoryBytes, 2e6, 'not raised by readings before it began');
});

test('heap readings with many instances busy: spread over them, each read at most every HEAP_SPACING_MS × busy instances', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  let reads = 0;
  const fleet = Array.from({ length: 30 }, (_, i) => {
    const s = { heapUsedBytes: 1e6, cpuMs: 0 };
    const instance = { id: `i${i}`, cpuMs: () => s.cpuMs, stats: () => (reads++, { ...s }) } as unknown as Instance;
    return { instance, s };
  });
  const open = fleet.map((f) => meter.begin(f.instance)); // first samples read the heap
  assert.equal(reads, 30);
  assert.equal(meter.busy(), 30);
  // 30 busy: a reading may be 300 ms old (30 × HEAP_SPACING_MS) before a begin or end takes another
  const one = fleet[0];
  one.s.heapUsedBytes = 9e6;
  now = 150; // past HEAP_REFRESH_MS, which alone would read
  const x = meter.begin(one.instance);
  now = 151;
  assert.equal(meter.end(x).peakMemoryBytes, 1e6, 'the reading of t=0 stands');
  assert.equal(reads, 30);
  now = 310;
  const y = meter.begin(one.instance);
  assert.equal(reads, 31, 'read again once 300 ms old');
  now = 311;
  assert.equal(meter.end(y).peakMemoryBytes, 9e6);
  // with one left busy the per-instance bound is HEAP_REFRESH_MS again
  for (let i = 1; i < open.length; i++) meter.end(open[i]);
  assert.equal(meter.busy(), 1);
  const before = reads;
  now = 420;
  meter.end(meter.begin(one.instance));
  assert.equal(reads, before + 1, '110 ms after the last reading, one busy instance is read again');
});

test('a CPU reading taken less than CPU_REUSE_MS ago is reused; what was spent in between goes to those open at the next read', () => {
  let now = 0;
  const { instance, s } = countingInstance(0);
  const meter = new InstanceMeter(() => now);
  const a = meter.begin(instance); // heap read (first sample)
  now = 0.05;
  s.cpuMs = 1;
  const b = meter.begin(instance); // reuses the reading at 0: a's 1 ms is not seen yet
  assert.equal(s.reads, 0);
  now = 2;
  s.cpuMs = 3;
  const fa = meter.end(a); // reads: 3 ms, split between a and b
  assert.equal(s.reads, 1);
  const fb = meter.end(b, 2.05); // the last one open: reads afresh even 0.05 ms later
  assert.equal(s.reads, 2);
  assert.equal(fa.cpuMs + fb.cpuMs, 3, 'nothing lost');
  assert.deepEqual([fa.cpuMs, fb.cpuMs], [1.5, 1.5]);
});

test('the last invocation open reads the CPU afresh: nothing spent is left to no one when the instance idles', () => {
  let now = 0;
  const { instance, s } = countingInstance(0);
  const meter = new InstanceMeter(() => now);
  const a = meter.begin(instance);
  const b = meter.begin(instance);
  now = 5;
  s.cpuMs = 4;
  const fb = meter.end(b); // reads 4
  now = 5.05;
  s.cpuMs = 4.05;
  const fa = meter.end(a); // 0.05 ms later, but the last one open: reads 4.05
  assert.equal(Math.round((fa.cpuMs + fb.cpuMs) * 1000), 4050);
  now = 10;
  s.cpuMs = 10;
  const c = meter.begin(instance);
  now = 10.05;
  s.cpuMs = 10.05;
  assert.equal(meter.end(c).cpuMs, 0.05, 'a lone invocation shorter than the reuse window');
});

test('busy again less than CPU_REUSE_MS after going idle: the reading it went idle with stands, and the gap\'s CPU goes to the next', () => {
  let now = 0;
  const { instance, s } = countingInstance(5);
  const meter = new InstanceMeter(() => now);
  const a = meter.begin(instance); // heap read: cpu 5
  now = 1;
  s.cpuMs = 6;
  assert.equal(meter.end(a).cpuMs, 1);
  assert.equal(s.reads, 1, 'the last one open read afresh');
  now = 1.5;
  s.cpuMs = 6.2; // a timer the function left ran while the instance was idle
  const b = meter.begin(instance);
  assert.equal(s.reads, 1, 'no read at begin: 0.5 ms after the last one');
  now = 2;
  s.cpuMs = 6.5;
  assert.equal(meter.end(b).cpuMs, 0.5, 'its own 0.3 ms and the 0.2 ms of the gap');
  assert.equal(s.reads, 2);
  now = 10;
  s.cpuMs = 9; // 2.5 ms spent idle, long after
  const c = meter.begin(instance);
  assert.equal(s.reads, 3, 'idle for 8 ms: read afresh');
  now = 11;
  s.cpuMs = 9.25;
  assert.equal(meter.end(c).cpuMs, 0.25, 'the idle CPU long after is no invocation\'s');
});

test('a reading carried over an idle gap is as old as it is: reused for CPU_REUSE_MS after it was taken, not after the gap', () => {
  let now = 0;
  const { instance, s } = countingInstance(0);
  const meter = new InstanceMeter(() => now);
  const a = meter.begin(instance);
  now = 1;
  s.cpuMs = 1;
  meter.end(a); // read at 1 ms: cpu 1
  now = 1.9;
  const b = meter.begin(instance); // 0.9 ms later: the idle reading stands
  now = 2;
  s.cpuMs = 1.2;
  const c = meter.begin(instance); // the reading is 1 ms old now: read (b alone spent 0.2)
  now = 2.8;
  s.cpuMs = 3;
  const fb = meter.end(b); // 0.8 ms after the last reading: reused, what was spent since goes to c
  now = 3;
  s.cpuMs = 3.2;
  const fc = meter.end(c); // the last one open: reads afresh
  // Had the carried reading counted as taken at 1.9 ms, c's begin would have reused it and b got 0.
  assert.deepEqual([fb.cpuMs, fc.cpuMs], [0.2, 2]);
  assert.equal(Math.round((fb.cpuMs + fc.cpuMs) * 1000), 2200, 'the busy CPU, all of it');
});

test('onBusy is called when an instance becomes busy while none was (the sampler runs only then)', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  let calls = 0;
  meter.onBusy = () => calls++;
  const one = fakeInstance('i1');
  const two = fakeInstance('i2');
  const a = meter.begin(one.instance);
  const b = meter.begin(two.instance);
  const c = meter.begin(one.instance);
  assert.equal(calls, 1, 'once, for the first busy instance');
  meter.end(a);
  meter.end(b);
  meter.end(c);
  assert.equal(meter.busy(), 0);
  now = 10;
  meter.end(meter.begin(two.instance));
  assert.equal(calls, 2, 'again after all went idle');
});

test('busy again long after going idle: the idle gap\'s CPU goes to no one, and the heap reading it went idle with stands until it is due', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const s = { heapUsedBytes: 0, cpuMs: 0 };
  let reads = 0;
  const counted = { id: 'i1', stats: () => (reads++, { ...s }) } as unknown as Instance;
  s.heapUsedBytes = 4e6;
  const a = meter.begin(counted); // first seen: heap read
  now = 5;
  s.cpuMs = 3;
  assert.deepEqual(meter.end(a), { cpuMs: 3, occupancyMs: 5, peakMemoryBytes: 4e6 });
  assert.equal(meter.busy(), 0);
  now = 50; // idle 45 ms: a timer the function left runs
  s.cpuMs = 20;
  s.heapUsedBytes = 9e6;
  const readsBefore = reads;
  const b = meter.begin(counted);
  now = 52;
  s.cpuMs = 21;
  assert.deepEqual(meter.end(b), { cpuMs: 1, occupancyMs: 2, peakMemoryBytes: 4e6 }, 'the reading of t=0 stands; the gap is no one\'s');
  assert.equal(reads, readsBefore + 2, 'read afresh at begin (the old reading is past CPU_REUSE_MS) and at end (the last open)');
  now = 120;
  const c = meter.begin(counted);
  assert.equal(meter.end(c).peakMemoryBytes, 9e6, 'read again once HEAP_REFRESH_MS old');
});
