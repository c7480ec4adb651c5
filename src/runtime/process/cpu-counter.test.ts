import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CpuCounter, parseCounter } from './cpu-counter.ts';

describe('cgroup CPU counters', () => {
  it('parses cgroup v1 cpuacct.usage (ns) and v2 cpu.stat (usage_usec) as ms', () => {
    assert.equal(parseCounter('1500000\n', 'cpuacct.usage'), 1.5);
    assert.equal(parseCounter('usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n', 'cpu.stat'), 2.5);
    assert.equal(parseCounter('', 'cpuacct.usage'), null);
    assert.equal(parseCounter('user_usec 1\n', 'cpu.stat'), null);
  });

  it('reads the file afresh through the descriptor it keeps, never going back, and keeps its last reading once the file is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-cpu-'));
    try {
      const file = join(dir, 'cpuacct.usage');
      writeFileSync(file, '2000000\n');
      const counter = new CpuCounter(file, 'cpuacct.usage');
      assert.equal(counter.readable, true);
      assert.equal(counter.readMs(), 2);
      writeFileSync(file, '7000000\n');
      assert.equal(counter.readMs(), 7);
      writeFileSync(file, '1000000\n');
      assert.equal(counter.readMs(), 7, 'a counter does not go back');
      counter.close();
      assert.equal(counter.readMs(), 7);
      assert.equal(new CpuCounter(join(dir, 'missing'), 'cpu.stat').readable, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
