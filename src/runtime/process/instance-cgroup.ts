/** One instance's cgroup: its memory and process-count limits, its CPU weight, and whether the kernel OOM-killed in it. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { CpuCounter } from './cpu-counter.ts';
import type { CgroupMode } from './isolation.ts';
import { removeCgroupTree } from './isolation.ts';

export interface InstanceCgroup {
  /** The cgroup.procs files the launcher writes its own pid into before it execs. */
  readonly procsFiles: readonly string[];
  oomKilled(): boolean;
  /** Bytes the instance's processes use now. */
  memoryBytes(): number;
  /** A new memory limit (a pre-started process given its function's limit). */
  setMemoryLimit(bytes: number): void;
  /** CPU time of the instance's processes so far, ms; null where the cgroup does not account it (or it was not asked for). */
  cpuMs(): number | null;
  /** Removes the cgroup; true when it is gone (the kernel refuses while processes remain). */
  remove(): boolean;
}

/**
 * Removes the cgroup once its last process is gone: the processes of a pid namespace die a
 * moment after its first one, so a removal right after the exit may be refused.
 */
export function removeWhenEmpty(cgroup: InstanceCgroup | null, clock: Clock, tries = 100): void {
  if (cgroup === null || cgroup.remove() || tries <= 0) return;
  clock.setTimer(50, () => removeWhenEmpty(cgroup, clock, tries - 1));
}

export const PIDS_MAX = 512;

function readCounter(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function readNumber(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** `cpu`: the instance's CPU is accounted (cpuMs); v1 then puts it in a cpuacct cgroup too. */
export function createInstanceCgroup(mode: CgroupMode, instanceId: string, memoryBytes: number, options: { readonly cpu?: boolean } = {}): InstanceCgroup {
  if (mode.version === 1) {
    const mem = join(mode.memory, instanceId);
    mkdirSync(mem);
    writeFileSync(join(mem, 'memory.limit_in_bytes'), String(memoryBytes));
    // With swap accounting, swap counts too: a leak is killed at the limit, not paged out.
    if (existsSync(join(mem, 'memory.memsw.limit_in_bytes'))) {
      try {
        writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), String(memoryBytes));
      } catch {
        /* swap accounting off */
      }
    }
    const pids = mode.pids ? join(mode.pids, instanceId) : null;
    if (pids) {
      mkdirSync(pids);
      writeFileSync(join(pids, 'pids.max'), String(PIDS_MAX));
    }
    const cpuDir = options.cpu && mode.cpuacct ? join(mode.cpuacct, instanceId) : null;
    // The instance's processes weigh as one with the scheduler, however many they are and
    // whatever sessions they make (each session would be a group of its own, as heavy as the platform's).
    const weightDir = mode.cpu ? join(mode.cpu, instanceId) : null;
    const cpuGroups = [...new Set([cpuDir, weightDir].filter((d) => d !== null))];
    for (const d of cpuGroups) mkdirSync(d);
    const cpu = cpuDir ? new CpuCounter(join(cpuDir, 'cpuacct.usage'), 'cpuacct.usage') : null;
    return {
      procsFiles: [join(mem, 'cgroup.procs'), ...(pids ? [join(pids, 'cgroup.procs')] : []), ...cpuGroups.map((d) => join(d, 'cgroup.procs'))],
      cpuMs: () => (cpu?.readable ? cpu.readMs() : null),
      oomKilled: () => readCounter(join(mem, 'memory.oom_control'), 'oom_kill') > 0 || readCounter(join(mem, 'memory.oom_control'), 'under_oom') > 0,
      memoryBytes: () => readNumber(join(mem, 'memory.usage_in_bytes')),
      setMemoryLimit: (bytes) => {
        // v1 wants memory+swap >= memory: lowering, memory goes first; raising, memory+swap does.
        const memsw = join(mem, 'memory.memsw.limit_in_bytes');
        const files = [join(mem, 'memory.limit_in_bytes'), ...(existsSync(memsw) ? [memsw] : [])];
        for (const f of bytes < readNumber(files[0]) ? files : files.reverse()) {
          try {
            writeFileSync(f, String(bytes));
          } catch {
            /* swap accounting off */
          }
        }
      },
      remove: () => {
        cpu?.close();
        removeCgroupTree(mem);
        if (pids) removeCgroupTree(pids);
        for (const d of cpuGroups) removeCgroupTree(d);
        return !existsSync(mem) && (pids === null || !existsSync(pids)) && cpuGroups.every((d) => !existsSync(d));
      },
    };
  }
  const dir = join(mode.root, instanceId);
  mkdirSync(dir);
  writeFileSync(join(dir, 'memory.max'), String(memoryBytes));
  try {
    writeFileSync(join(dir, 'memory.swap.max'), '0');
  } catch {
    /* no swap controller */
  }
  try {
    writeFileSync(join(dir, 'pids.max'), String(PIDS_MAX));
  } catch {
    /* no pids controller */
  }
  // cpu.stat is in every v2 cgroup, with or without the cpu controller
  const cpu = options.cpu ? new CpuCounter(join(dir, 'cpu.stat'), 'cpu.stat') : null;
  return {
    procsFiles: [join(dir, 'cgroup.procs')],
    cpuMs: () => (cpu?.readable ? cpu.readMs() : null),
    oomKilled: () => readCounter(join(dir, 'memory.events'), 'oom_kill') > 0,
    memoryBytes: () => readNumber(join(dir, 'memory.current')),
    setMemoryLimit: (bytes) => writeFileSync(join(dir, 'memory.max'), String(bytes)),
    remove: () => (cpu?.close(), removeCgroupTree(dir), !existsSync(dir)),
  };
}
