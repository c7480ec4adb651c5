/**
 * Reading function logs back: lines of stored and buffered records, filtered by function,
 * time, level, text and invocation, oldest first. Each line says which invocation wrote it;
 * a line that is a JSON object (a function that logs objects) also comes parsed as `data`.
 */
import type { InvocationRecord, LogLevel, LogLine } from '../core/types.ts';
import { jsonTextTooDeep } from '../core/json-depth.ts';

export interface LogEntry {
  readonly t: number;
  readonly level: LogLevel;
  readonly msg: string;
  readonly invocationId: string;
  readonly functionName: string;
  readonly data?: unknown;
}

export interface LogFilter {
  readonly functionName?: string;
  readonly since?: number;
  readonly level?: LogLevel;
  readonly grep?: string;
  readonly invocationId?: string;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function isLogLevel(v: string): v is LogLevel {
  return v in RANK;
}

export function matcher(f: LogFilter): (fn: string, invocationId: string, line: LogLine) => boolean {
  const min = f.level === undefined ? 0 : RANK[f.level];
  const grep = f.grep === undefined || f.grep === '' ? null : f.grep.toLowerCase();
  return (fn, id, line) =>
    (f.functionName === undefined || f.functionName === fn) &&
    (f.invocationId === undefined || f.invocationId === id) &&
    (f.since === undefined || line.t >= f.since) &&
    RANK[line.level] >= min &&
    (grep === null || line.msg.toLowerCase().includes(grep));
}

export function entry(functionName: string, invocationId: string, line: LogLine): LogEntry {
  const e: LogEntry = { t: line.t, level: line.level, msg: line.msg, invocationId, functionName };
  const c = line.msg.charCodeAt(0);
  // A line nested past the bound stays text: the answer is serialised by JSON.stringify, which recurses.
  if (c === 123 /* { */ && !jsonTextTooDeep(line.msg)) {
    try {
      return { ...e, data: JSON.parse(line.msg) };
    } catch {
      /* not JSON after all */
    }
  }
  return e;
}

/** Lines of `records`, filtered, oldest first, at most `limit` (the newest ones). */
export function linesOf(records: readonly InvocationRecord[], f: LogFilter, limit: number): LogEntry[] {
  const match = matcher(f);
  const out: LogEntry[] = [];
  for (const r of records) for (const l of r.logs) if (match(r.functionName, r.id, l)) out.push(entry(r.functionName, r.id, l));
  out.sort((a, b) => a.t - b.t || (a.invocationId < b.invocationId ? -1 : a.invocationId > b.invocationId ? 1 : 0));
  return out.slice(Math.max(0, out.length - limit));
}
