/**
 * CPU time and resident memory of a process and its descendants, read from /proc on the
 * host: what the process's own code cannot forge. The tree is found through the main
 * thread's `children` file (a process forked from another of its threads is missed: Node
 * forks from its main thread). Times are in clock ticks (USER_HZ, 100 a second on Linux),
 * so readings move in 10 ms steps; a child's time counts once it has been waited for.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the kernel reports times in 1/100 s on every Linux architecture Node runs on. */
const TICK_MS = 10;
const PAGE_BYTES = 4096;

export interface ProcUsage {
  /** User + system CPU of the tree (with its reaped children), ms. */
  readonly cpuMs: number;
  /** Resident bytes summed over the tree's processes (shared pages counted in each). */
  readonly rssBytes: number;
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
export function parseStat(text: string): { cpuTicks: number; rssPages: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17, rss 24.
  const n = (i: number) => Number(f[i - 3]);
  const cpuTicks = n(14) + n(15) + n(16) + n(17);
  const rssPages = n(24);
  return Number.isFinite(cpuTicks) && Number.isFinite(rssPages) ? { cpuTicks, rssPages } : null;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The usage of `pid` and its descendants; zeros once it is gone. `procRoot` is for tests. */
export function processTreeUsage(pid: number, procRoot = '/proc'): ProcUsage {
  let ticks = 0;
  let pages = 0;
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const stat = read(`${procRoot}/${p}/stat`);
    const parsed = stat === null ? null : parseStat(stat);
    if (parsed === null) continue;
    ticks += parsed.cpuTicks;
    pages += parsed.rssPages;
    for (const c of (read(`${procRoot}/${p}/task/${p}/children`) ?? '').split(' ')) if (c.trim() !== '') queue.push(Number(c));
  }
  return { cpuMs: ticks * TICK_MS, rssBytes: pages * PAGE_BYTES };
}
