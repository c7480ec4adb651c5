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

/** `pid` and its descendants, now. */
export function processTree(pid: number, procRoot = '/proc'): number[] {
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    for (const c of (read(`${procRoot}/${p}/task/${p}/children`) ?? '').split(' ')) if (c.trim() !== '') queue.push(Number(c));
  }
  return [...seen];
}

/** The usage of `pids` (those gone count nothing: a reaped child's time is in its parent's). */
export function usageOf(pids: readonly number[], procRoot = '/proc'): ProcUsage {
  let ticks = 0;
  let pages = 0;
  for (const p of pids) {
    const stat = read(`${procRoot}/${p}/stat`);
    const parsed = stat === null ? null : parseStat(stat);
    if (parsed === null) continue;
    ticks += parsed.cpuTicks;
    pages += parsed.rssPages;
  }
  return { cpuMs: ticks * TICK_MS, rssBytes: pages * PAGE_BYTES };
}

/** The usage of `pid` and its descendants; zeros once it is gone. `procRoot` is for tests. */
export function processTreeUsage(pid: number, procRoot = '/proc'): ProcUsage {
  return usageOf(processTree(pid, procRoot), procRoot);
}

/**
 * processTreeUsage for a hot path: the tree is walked again at most every `treeMs` (the
 * counters are cumulative, so a process found late loses none of its CPU), and a reading
 * is reused for `reuseMs` (they move in 10 ms steps).
 */
export class ProcessTreeMeter {
  private pids: number[] = [];
  private treeAt = -Infinity;
  private readAt = -Infinity;
  private last: ProcUsage = { cpuMs: 0, rssBytes: 0 };

  constructor(
    private readonly pid: number,
    private readonly monotonic: () => number,
    private readonly procRoot = '/proc',
    private readonly treeMs = 1000,
    private readonly reuseMs = 1,
  ) {}

  read(): ProcUsage {
    const now = this.monotonic();
    if (now - this.readAt < this.reuseMs) return this.last;
    if (now - this.treeAt >= this.treeMs) {
      this.pids = processTree(this.pid, this.procRoot);
      this.treeAt = now;
    }
    this.readAt = now;
    this.last = usageOf(this.pids, this.procRoot);
    return this.last;
  }
}
