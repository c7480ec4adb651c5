import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allProcessesMax, probeIsolation, removeCgroupTree } from './isolation.ts';

describe('probeIsolation', () => {
  const probed = probeIsolation({ allowHostNetwork: true });
  after(() => {
    const cg = probed.cgroup;
    if (cg === null) return;
    for (const d of cg.version === 1 ? [cg.memory, cg.pids, cg.cpuacct, cg.cpu] : [cg.root]) if (d !== null) removeCgroupTree(d);
  });

  it("bounds the processes of all instances together to half of the host's pids", (t) => {
    const cg = probed.cgroup;
    const dir = cg === null ? null : cg.version === 1 ? cg.pids : cg.root;
    if (dir === null || probed.processLimit === 'none') return t.skip('needs a writable cgroup pids controller (this host: ' + probed.processLimit + ')');
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const max = allProcessesMax();
    assert.ok(max !== null && max <= pidMax / 2, `${max} of ${pidMax}`);
    // Per instance 512 (PIDS_MAX) each, but 64 instances would take a host's default 32768: this bound holds for all of them.
    assert.equal(readFileSync(join(dir, 'pids.max'), 'utf8').trim(), String(max));
  });
});
