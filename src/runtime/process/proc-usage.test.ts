import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { parseStat, ProcessTreeMeter, processTreeUsage } from './proc-usage.ts';

/** A stat line as the kernel writes it: utime 14, stime 15, cutime 16, cstime 17, rss 24. */
function statLine(pid: number, comm: string, [ut, st, cut, cst]: number[], rss: number): string {
  const f = ['S', '1', String(pid), String(pid), '0', '-1', '4194560', '100', '0', '0', '0', String(ut), String(st), String(cut), String(cst), '20', '0', '1', '0', '12345', '1000000', String(rss), '18446744073709551615'];
  return `${pid} (${comm}) ${f.join(' ')}\n`;
}

/** A /proc of our own making. */
function fakeProc() {
  const root = mkdtempSync(join(tmpdir(), 'proc-'));
  const proc = (pid: number, ticks: number[], rss: number, children: number[]) => {
    mkdirSync(join(root, String(pid), 'task', String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), 'stat'), statLine(pid, 'node', ticks, rss));
    writeFileSync(join(root, String(pid), 'task', String(pid), 'children'), children.map((c) => `${c} `).join(''));
  };
  return { root, proc, gone: (pid: number) => rmSync(join(root, String(pid)), { recursive: true }) };
}

describe('/proc usage of a process tree', () => {
  it('parses a stat line whose command name has spaces and parentheses', () => {
    assert.deepEqual(parseStat(statLine(7, 'a (b) c', [1, 2, 3, 4], 50)), { cpuTicks: 10, rssPages: 50 });
    assert.equal(parseStat('garbage'), null);
  });

  it('sums CPU and RSS over the descendants found through children files', () => {
    const { root, proc } = fakeProc();
    proc(10, [1, 1, 0, 0], 100, [11]);
    proc(11, [0, 0, 0, 0], 10, [12, 13]);
    proc(12, [30, 5, 2, 1], 1000, []);
    proc(13, [0, 0, 0, 0], 1, []);
    proc(99, [500, 0, 0, 0], 1, []); // not in the tree
    assert.deepEqual(processTreeUsage(10, root), { cpuMs: 400, rssBytes: 1111 * 4096 });
    assert.deepEqual(processTreeUsage(12, root), { cpuMs: 380, rssBytes: 1000 * 4096 });
    assert.deepEqual(processTreeUsage(4242, root), { cpuMs: 0, rssBytes: 0 }, 'a process that is gone');
  });

  it('the meter walks the tree again only every treeMs and reuses a reading for reuseMs; a late-found child loses no CPU', () => {
    const { root, proc, gone } = fakeProc();
    let now = 0;
    const meter = new ProcessTreeMeter(10, () => now, root, 1000, 1);
    proc(10, [1, 0, 0, 0], 1, []);
    assert.equal(meter.read().cpuMs, 10);
    proc(10, [2, 0, 0, 0], 1, [11]);
    proc(11, [5, 0, 0, 0], 1, []);
    assert.equal(meter.read().cpuMs, 10, 'the same reading within reuseMs');
    now = 1;
    assert.equal(meter.read().cpuMs, 20, 'a new reading, the old tree');
    now = 1000;
    assert.equal(meter.read().cpuMs, 70, 'the new child with all its CPU');
    gone(11);
    proc(10, [2, 0, 5, 0], 1, []); // reaped: its time is the parent's now
    now = 1001;
    assert.equal(meter.read().cpuMs, 70);
  });

  it('reads the CPU a real child tree burns', async () => {
    const child = spawn('/bin/sh', ['-c', `exec ${process.execPath} -e "const t = process.cpuUsage(); while (process.cpuUsage(t).user < 200_000); console.log('done'); setInterval(() => {}, 1000)"`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [data] = await once(child.stdout!, 'data');
    assert.equal(String(data).trim(), 'done');
    const u = processTreeUsage(child.pid!);
    child.kill('SIGKILL');
    assert.ok(u.cpuMs >= 200, `${u.cpuMs} ms`);
    assert.ok(u.rssBytes > 1024 * 1024);
  });
});
