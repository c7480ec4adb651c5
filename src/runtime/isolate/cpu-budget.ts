/**
 * What bounds the CPU charged to isolates. isolated-vm 5.0.4's `isolate.cpuTime` is the
 * wall-clock time the isolate spent executing (its build on Linux never defines
 * USE_CLOCK_THREAD_CPUTIME_ID: binding.gyp gives the target two `conditions` keys and
 * node-gyp keeps the second), so an isolate blocked in `Atomics.wait`, or waiting for a
 * core while others run, reads as if it computed. Nothing in isolated-vm reads the
 * isolate thread's CPU clock, and which pool thread runs an isolate is not visible from
 * here; what the kernel does tell is the CPU all the process's threads other than the
 * main one used (the isolates run on those). Every watchdog tick, the isolates' readings
 * since the previous tick are scaled down together to at most that amount: a blocked or
 * descheduled isolate is charged only CPU that was really spent.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Milliseconds of CPU used so far by the process's threads other than the main one (a monotonic reading). */
export type OtherThreadsCpu = () => number;

/**
 * The main thread's CPU in ms (/proc/self/task/<pid>/schedstat: nanoseconds on the CPU, then
 * other fields), or 0 without /proc. The file stays open, one descriptor for the process, and
 * is read again from its start: opening it costs more than the reading itself, and the
 * watchdog reads it every tick while instances are busy.
 */
let schedstat: number | null | undefined;
const schedstatBytes = Buffer.alloc(64);

function mainThreadMs(): number {
  if (schedstat === undefined) {
    try {
      schedstat = openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
    } catch {
      schedstat = null;
    }
  }
  if (schedstat === null) return 0;
  let n: number;
  try {
    n = readSync(schedstat, schedstatBytes, 0, schedstatBytes.length, 0);
  } catch {
    try {
      closeSync(schedstat);
    } catch {
      /* gone already */
    }
    schedstat = null;
    return 0;
  }
  let ns = 0;
  for (let i = 0; i < n; i++) {
    const digit = schedstatBytes[i] - 48;
    if (digit < 0 || digit > 9) break;
    ns = ns * 10 + digit;
  }
  return ns / 1e6;
}

/**
 * Reads the process's CPU (getrusage) less the main thread's (/proc/self/task/<pid>/schedstat,
 * nanoseconds on the CPU). Without /proc it is the whole process's CPU: a looser bound.
 */
export function otherThreadsCpu(): OtherThreadsCpu {
  return () => {
    // The main thread first: what it spends between the two reads is then counted to the others (an upper bound).
    const main = mainThreadMs();
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000 - main;
  };
}

/**
 * The charges of one tick: each isolate's reading since the last tick (wall-clock while it
 * ran), scaled by one factor so that they sum to at most `budgetMs`, the CPU the isolate
 * threads used in that time. Shares follow the readings: exact when one isolate ran, in
 * proportion to time executing when several did.
 */
export function capCharges(raw: readonly number[], budgetMs: number): number[] {
  let total = 0;
  for (const r of raw) total += Math.max(0, r);
  const factor = total > 0 && total > budgetMs ? Math.max(0, budgetMs) / total : 1;
  return raw.map((r) => Math.max(0, r) * factor);
}
