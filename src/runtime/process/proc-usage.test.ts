import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { parseStat, processTreeUsage } from './proc-usage.ts';

/** A stat line as the kernel writes it: utime 14, stime 15, cutime 16, cstime 17, rss 24. */
function statLine(pid: number, comm: string, [ut, st, cut, cst]: number[], rss: number): string {
  const f = ['S', '1', String(pid), String(pid), '0', '-1', '4194560', '100', '0', '0', '0', String(ut), String(st), String(cut), String(cst), '20', '0', '1', '0', '12345', '1000000', String(rss), '18446744073709551615'];
  return `${pid} (${comm}) ${f.join(' ')}\n`;
}

describe('/proc usage of a process tree', () => {
  it('parses a stat line whose command name has spaces and parentheses', () => {
    assert.deepEqual(parseStat(statLine(7, 'a (b) c', [1, 2, 3, 4], 50)), { cpuTicks: 10, rssPages: 50 });
    assert.equal(parseStat('garbage'), null);
  });

  it('sums CPU and RSS over the descendants found through children files', () => {
    const root = mkdtempSync(join(tmpdir(), 'proc-'));
    const proc = (pid: number, ticks: number[], rss: number, children: number[]) => {
      mkdirSync(join(root, String(pid), 'task', String(pid)), { recursive: true });
      writeFileSync(join(root, String(pid), 'stat'), statLine(pid, 'node', ticks, rss));
      writeFileSync(join(root, String(pid), 'task', String(pid), 'children'), children.map((c) => `${c} `).join(''));
    };
    proc(10, [1, 1, 0, 0], 100, [11]);
    proc(11, [0, 0, 0, 0], 10, [12, 13]);
    proc(12, [30, 5, 2, 1], 1000, []);
    proc(13, [0, 0, 0, 0], 1, []);
    proc(99, [500, 0, 0, 0], 1, []); // not in the tree
    assert.deepEqual(processTreeUsage(10, root), { cpuMs: 400, rssBytes: 1111 * 4096 });
    assert.deepEqual(processTreeUsage(12, root), { cpuMs: 380, rssBytes: 1000 * 4096 });
    assert.deepEqual(processTreeUsage(4242, root), { cpuMs: 0, rssBytes: 0 }, 'a process that is gone');
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
