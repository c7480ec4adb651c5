import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance } from '../runtime/port.ts';
import { InstanceMeter } from './attribution.ts';

function fakeInstance(id: string) {
  const s = { heapUsedBytes: 0, cpuMs: 0 };
  const instance = { id, stats: () => ({ ...s }) } as unknown as Instance;
  return { instance, s };
}

test('one invocation at a time: CPU, occupancy and peak are exactly the instance\'s', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const { instance, s } = fakeInstance('i1');
  s.cpuMs = 100; // used before (init): not this invocation's
  s.heapUsedBytes = 5e6;
  meter.begin('a', instance);
  now = 50;
  s.cpuMs = 130;
  s.heapUsedBytes = 35e6;
  assert.deepEqual(meter.end('a', instance), { cpuMs: 30, occupancyMs: 50, peakMemoryBytes: 35e6 });
  assert.equal(meter.busy(), 0, 'an idle instance is not followed');
});

test('concurrent invocations on one instance share its busy time and CPU; shares sum to the totals', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const { instance, s } = fakeInstance('i1');
  meter.begin('a', instance); // t=0
  now = 10;
  s.cpuMs = 10;
  meter.begin('b', instance); // a alone for 10 ms, 10 ms CPU
  now = 30;
  s.cpuMs = 30;
  s.heapUsedBytes = 8e6;
  const a = meter.end('a', instance); // 20 ms shared by two: +10 each
  now = 40;
  s.cpuMs = 34;
  s.heapUsedBytes = 1e6;
  const b = meter.end('b', instance); // b alone 10 ms, 4 ms CPU
  assert.deepEqual(a, { cpuMs: 20, occupancyMs: 20, peakMemoryBytes: 8e6 });
  assert.deepEqual(b, { cpuMs: 14, occupancyMs: 20, peakMemoryBytes: 8e6 });
  // The instance was busy 40 ms and used 34 ms CPU: nothing counted twice, nothing lost.
  assert.equal(a.occupancyMs + b.occupancyMs, 40);
  assert.equal(a.cpuMs + b.cpuMs, 34);
});

test('instances are accounted apart; tick() samples long invocations; unknown ends give zeros', () => {
  let now = 0;
  const meter = new InstanceMeter(() => now);
  const one = fakeInstance('i1');
  const two = fakeInstance('i2');
  meter.begin('a', one.instance);
  meter.begin('b', two.instance);
  now = 100;
  one.s.cpuMs = 60;
  one.s.heapUsedBytes = 50e6;
  meter.tick(); // a spike seen while it runs…
  one.s.heapUsedBytes = 2e6;
  now = 200;
  one.s.cpuMs = 70;
  two.s.cpuMs = 5;
  assert.deepEqual(meter.end('a', one.instance), { cpuMs: 70, occupancyMs: 200, peakMemoryBytes: 50e6 });
  assert.deepEqual(meter.end('b', two.instance), { cpuMs: 5, occupancyMs: 200, peakMemoryBytes: 0 });
  assert.deepEqual(meter.end('never', one.instance), { cpuMs: 0, occupancyMs: 0, peakMemoryBytes: 0 });
});
