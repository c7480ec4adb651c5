/** The node runtime against the Runtime port's contract suite; what it does not keep by design is skipped, saying why. */
import { systemClock } from '../../core/clock.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundle, eventCall, rejectsWith, runtimeContract, startWith } from '../contract.ts';
import { probeIsolation } from './isolation.ts';
import { createNodeRuntime } from './node-runtime.ts';

/** In a network namespace where the host can make one (the default), else on the host network. */
const isolation = () => {
  const probed = probeIsolation();
  return probed.network === 'namespace' ? probed : probeIsolation({ allowHostNetwork: true });
};

runtimeContract('node', () => createNodeRuntime({ clock: systemClock, isolation: isolation(), spares: 1 }), {
  skip: {
    'memory: a memory bomb is MEMORY_LIMIT, the instance dies, other calls on it are INSTANCE_CRASHED':
      'the kernel kills the whole process: with one call in flight the OOM is its MEMORY_LIMIT (node-instance.test.ts), but with several (as here) which one allocated is not known from outside the process, so all get MEMORY_LIMIT (the e2e tests cover the limit)',
  },
});

describe('node runtime: an OOM kill with one call in flight', () => {
  it('is that call\'s MEMORY_LIMIT and the instance dies (memory_limit)', async (t) => {
    const iso = isolation();
    if (!iso.cgroup) return t.skip('needs a writable cgroup memory controller (the limit is RLIMIT_AS otherwise)');
    const runtime = createNodeRuntime({ clock: systemClock, isolation: iso, spares: 1 });
    try {
      const h = await startWith(runtime, await bundle(`export async function handler() { const hog: number[][] = []; for (;;) hog.push(new Array(100_000).fill(Math.random())); }`), { memoryMb: 96 });
      await rejectsWith(h.instance.invoke(eventCall('oom-1', null, 60_000)), 'NIMBUS_ERR_MEMORY_LIMIT');
      assert.equal(h.instance.deathReason(), 'memory_limit');
    } finally {
      await runtime.close();
    }
  });
});
