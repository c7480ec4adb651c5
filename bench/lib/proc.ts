/**
 * Child processes for targets: start with a bounded wait for readiness, measure memory
 * from /proc, stop by pid (TERM, then KILL after a grace period). Every process started
 * here is remembered and stopped if the harness exits early.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { HOST } from './guard.ts';

const live = new Set<ChildProcess>();

// A target may start processes of its own in another process group (`nimbus up` starts the
// server that way), so the whole tree is killed, children read before the parent goes.
function killAll(): void {
  for (const c of live) {
    if (c.pid !== undefined && c.exitCode === null) {
      for (const pid of processTree(c.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  /** performance.now() just before spawn(). */
  readonly spawnedAt: number;
  /** The last ~64 KB of stdout+stderr, for error messages. */
  output(): string;
  /** Resolves with the first stdout line matching `re`, or rejects at the deadline / on exit. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string>;
  /** Rejects (with the tail of the output) if the process exits; never resolves. */
  died(): Promise<never>;
  stop(graceMs?: number): Promise<void>;
}

/**
 * The environment every target process gets: ours, minus NODE_EXTRA_CA_CERTS. Loading a
 * CA bundle costs ~75 ms of every Node start on the reference machine and belongs to no
 * platform under test (no benchmark makes a TLS connection).
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

export interface StartOptions {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The most telling line of a crashed process's output: its last line naming an error. */
export function errorLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = [...lines].reverse().find((l) => /error|exception|cannot|failed/i.test(l) && !/^at /.test(l));
  return (err ?? lines[lines.length - 1] ?? '(no output)').slice(0, 300);
}

export function start(opts: StartOptions): Started {
  let buf = '';
  const lineWaiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let partial = '';
  const spawnedAt = performance.now();
  const child = spawn(opts.cmd, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`bench: could not start ${opts.cmd}`);
  live.add(child);
  const keep = (s: string) => {
    buf += s;
    if (buf.length > 65536) buf = buf.slice(-65536);
  };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    keep(s);
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      for (let i = lineWaiters.length - 1; i >= 0; i--) {
        if (lineWaiters[i].re.test(line)) {
          lineWaiters[i].resolve(line);
          lineWaiters.splice(i, 1);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => live.delete(child));

  return {
    child,
    pid: child.pid,
    spawnedAt,
    output: () => buf,
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`bench: ${opts.cmd} printed no line matching ${re} within ${timeoutMs} ms (last output: ${errorLine(buf)})\n${buf.slice(-2000)}`));
        }, timeoutMs);
        const done = (l: string) => {
          clearTimeout(timer);
          resolve(l);
        };
        lineWaiters.push({ re, resolve: done });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`bench: ${opts.cmd} exited (code ${child.exitCode}) before printing ${re}: ${errorLine(buf)}\n${buf.slice(-2000)}`));
        });
      });
    },
    died() {
      const p = exited.then(() => {
        throw new Error(`bench: ${opts.cmd} exited (code ${child.exitCode}, signal ${child.signalCode}): ${errorLine(buf)}\n${buf.slice(-2000)}`);
      });
      p.catch(() => undefined); // callers race it; an unobserved rejection is not an error
      return p;
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Memory {
  /** Resident set size now, KB. */
  readonly rssKb: number;
  /** Peak resident set size (VmHWM), KB. */
  readonly peakKb: number;
}

function statusField(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** The pids of `pid` and all its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0 && out.length < 10000) {
    const p = stack.pop()!;
    out.push(p);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids) stack.push(...kids.split(/\s+/).map(Number));
      } catch {
        /* raced with exit */
      }
    }
  }
  return out;
}

/** Memory of a process and all its descendants (sum of VmRSS and of VmHWM). */
export function memoryOf(pid: number): Memory {
  let rssKb = 0;
  let peakKb = 0;
  for (const p of processTree(pid)) {
    const r = statusField(p, 'VmRSS');
    const h = statusField(p, 'VmHWM');
    if (Number.isFinite(r)) rssKb += r;
    if (Number.isFinite(h)) peakKb += h;
  }
  return { rssKb, peakKb };
}

/**
 * CPU time (user + system, all threads) used so far by a process and its descendants, in ms.
 * /proc counts in clock ticks: USER_HZ is 100 on Linux (10 ms a tick).
 */
export function cpuMsOf(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* exited */
    }
  }
  return ticks * 10;
}

/** utime + stime in clock ticks (10 ms each) so far: of every thread of a process and its descendants, and of their main threads only. */
export function cpuTicksOf(pid: number): { all: number; main: number } {
  let all = 0;
  let main = 0;
  for (const p of processTree(pid)) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      all += Number(f[11]) + Number(f[12]); // fields 14 and 15, counted after "pid (comm) "
      const m = readFileSync(`/proc/${p}/task/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      main += Number(m[11]) + Number(m[12]);
    } catch {
      /* exited */
    }
  }
  return { all, main };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Each process of the tree with a short name and its RSS, e.g. for "where does the memory go". */
export function memoryBreakdown(pid: number): Array<{ pid: number; name: string; rssKb: number }> {
  return processTree(pid).map((p) => {
    let name = '?';
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const exe = (argv[0] ?? '?').split('/').pop()!;
      const script = argv.slice(1).find((a) => !a.startsWith('-') && /[/.]/.test(a) && a !== 'tsx');
      name = script ? `${exe} ${script.replace(/^.*\/(bin|src|bench)\//, '$1/')}` : exe;
    } catch {
      /* exited */
    }
    return { pid: p, name, rssKb: statusField(p, 'VmRSS') };
  });
}

export function describeMemory(pid: number): string {
  return memoryBreakdown(pid)
    .filter((m) => Number.isFinite(m.rssKb))
    .map((m) => `${m.name} ${(m.rssKb / 1024).toFixed(0)} MB`)
    .join(', ');
}
