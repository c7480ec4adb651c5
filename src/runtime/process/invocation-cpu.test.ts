import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { InvocationCpu } from './invocation-cpu.ts';

function setup(limitMs = 50) {
  const clock = new FakeClock();
  let cpu = 1000;
  const over: Array<[number, number]> = [];
  const watch = new InvocationCpu(clock, 10, () => cpu, limitMs, (id, ms) => over.push([id, ms]));
  return { clock, watch, over, burn: (ms: number) => (cpu += ms) };
}

describe('the CPU limit of a call in a process', () => {
  it('one call in flight: the process CPU since it began is its own; past the limit it is stopped at the next reading', () => {
    const { clock, watch, over, burn } = setup();
    burn(500); // before the call: not its
    watch.begin(1);
    burn(40);
    clock.advance(10);
    assert.deepEqual(over, []);
    burn(20);
    assert.deepEqual(over, [], 'nothing is decided between readings');
    clock.advance(10);
    assert.deepEqual(over, [[1, 60]]);
    assert.equal(clock.pendingTimers(), 0, 'no more readings once stopped');
  });

  it('a call that ends under the limit is charged its CPU and readings stop when none is in flight', () => {
    const { clock, watch, over, burn } = setup();
    watch.begin(1);
    burn(30);
    assert.equal(watch.end(1), 30);
    assert.equal(clock.pendingTimers(), 0);
    burn(1000); // idle: charged to no call
    watch.begin(2);
    burn(10);
    clock.advance(10);
    assert.equal(watch.end(2), 10);
    assert.deepEqual(over, []);
  });

  it('several in flight share each span; the first past the limit is named', () => {
    const { clock, watch, over, burn } = setup();
    watch.begin(1);
    burn(30); // 1 alone: 30
    watch.begin(2);
    burn(40); // shared: 1 → 50, 2 → 20
    clock.advance(10);
    assert.deepEqual(over, []);
    burn(2); // 1 → 51
    clock.advance(10);
    assert.deepEqual(over, [[1, 51]]);
    assert.equal(watch.end(2), 0, 'stopped: the rest is forgotten');
  });

  it('CPU used while a call was in flight is charged when it ends, between readings', () => {
    const { watch, over, burn } = setup();
    watch.begin(1);
    burn(70);
    watch.end(1);
    assert.deepEqual(over, [[1, 70]]);
  });
});
