import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { FakeClock } from '../../core/clock.ts';
import { capCharges, otherThreadsCpu } from './cpu-budget.ts';
import { Watchdog, type Watched } from './watchdog.ts';

/** An isolate whose reading grows by `perTick` ms each tick (wall-clock while it executes). */
function isolate(perTick: number): Watched & { charged: number; ticks: number } {
  return {
    charged: 0,
    ticks: 0,
    cpuSample() {
      this.ticks++;
      return perTick;
    },
    charge(ms: number, raw: number) {
      assert.equal(raw, perTick);
      this.charged += ms;
      return true;
    },
  };
}

test('capCharges scales the readings together to the CPU really used, never up', () => {
  assert.deepEqual(capCharges([10, 10, 10, 10], 20), [5, 5, 5, 5]);
  assert.deepEqual(capCharges([3, 1], 20), [3, 1]);
  assert.deepEqual(capCharges([10, 0], 0), [0, 0]);
  assert.deepEqual(capCharges([-1, 4], 2), [0, 2]);
});

test('eight isolates executing on two cores are charged the two cores, not eight times the wall clock', () => {
  const clock = new FakeClock(0);
  let used = 0; // the CPU the isolate threads used: two cores' worth of every millisecond
  const dog = new Watchdog(clock, 10, () => used);
  const spinners = Array.from({ length: 8 }, () => isolate(10));
  for (const s of spinners) dog.watch(s);
  for (let i = 0; i < 100; i++) {
    used += 20;
    clock.advance(10);
  }
  const total = spinners.reduce((n, s) => n + s.charged, 0);
  assert.equal(spinners[0].ticks, 100);
  assert.ok(Math.abs(total - 2_000) < 1e-6, `charged ${total} ms for 2 000 ms of CPU`);
  assert.ok(spinners.every((s) => Math.abs(s.charged - 250) < 1e-6));
});

test('an isolate blocked while nothing else runs is charged nothing; without a budget it is charged its readings', () => {
  const clock = new FakeClock(0);
  const blocked = isolate(10);
  const dog = new Watchdog(clock, 10, () => 0);
  dog.watch(blocked);
  for (let i = 0; i < 10; i++) clock.advance(10);
  assert.equal(blocked.charged, 0);
  const raw = isolate(10);
  const plain = new Watchdog(clock, 10, null);
  plain.watch(raw);
  for (let i = 0; i < 10; i++) clock.advance(10);
  assert.equal(raw.charged, 100);
  dog.close();
  plain.close();
});

test("otherThreadsCpu counts a worker thread's CPU and not the main thread's", async () => {
  const read = otherThreadsCpu();
  const spin = (ms: number) => {
    const start = process.cpuUsage();
    for (;;) {
      const u = process.cpuUsage(start);
      if ((u.user + u.system) / 1000 >= ms) return;
    }
  };
  const beforeMain = read();
  spin(200);
  const mainGrowth = read() - beforeMain;
  assert.ok(mainGrowth < 100, `the main thread's 200 ms counted as ${mainGrowth} ms`);
  const beforeWorker = read();
  const worker = new Worker(
    `const start = process.cpuUsage(); for (;;) { const u = process.cpuUsage(start); if ((u.user + u.system) / 1000 >= 200) break; } require('node:worker_threads').parentPort.postMessage('done');`,
    { eval: true },
  );
  await new Promise((resolve) => worker.once('message', resolve));
  await worker.terminate();
  const workerGrowth = read() - beforeWorker;
  assert.ok(workerGrowth >= 100, `a worker's 200 ms counted as ${workerGrowth} ms`);
});
