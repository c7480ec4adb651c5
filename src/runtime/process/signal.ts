/** Signals for an app's processes: all of its session but the launchers (which would die at once and kill it without its grace). */
import { readdirSync, readFileSync } from 'node:fs';
import { LAUNCHER_NAMES } from './launch.ts';

/** The pids of session `sid` whose command is not a launcher. */
export function appProcesses(sid: number): number[] {
  return sessionProcesses(sid, true);
}

/** The pids of session `sid` (without launchers when asked). */
export function sessionProcesses(sid: number, withoutLaunchers = false): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp session …; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    if (Number(fields[3]) === sid && !(withoutLaunchers && LAUNCHER_NAMES.has(comm))) out.push(Number(name));
  }
  return out;
}

export function sendTerm(sid: number): void {
  for (const pid of appProcesses(sid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}

/** SIGKILL to the whole process group the launcher leads (the app's pid namespace dies with it). */
export function killGroup(pgid: number): void {
  // -0 would be the platform's own process group.
  if (!(pgid > 0)) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
