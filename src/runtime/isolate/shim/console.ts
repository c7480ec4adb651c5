/**
 * console: every call goes to the host at once (OUT_LOG), tagged with the invocation
 * whose code is running, so lines survive a timeout or a crash of the instance.
 */
import { L_DEBUG, L_ERROR, L_INFO, L_WARN, OUT_LOG } from '../protocol.ts';
import { send } from './bridge.ts';
import { format, inspect } from './inspect.ts';
import { currentInvocation } from './state.ts';

const MAX_LINE = 16 * 1024;
/** Per invocation (and for everything outside one): a runaway logger must not flood the host. */
const MAX_LINES = 10_000;
const MAX_CHARS = 4 * 1024 * 1024;

function emit(level: number, text: string): void {
  const inv = currentInvocation();
  if (inv.logLines > MAX_LINES) return;
  const line = text.length > MAX_LINE ? text.slice(0, MAX_LINE) + `… [${text.length - MAX_LINE} more characters]` : text;
  inv.logLines++;
  inv.logChars += line.length;
  if (inv.logLines > MAX_LINES || inv.logChars > MAX_CHARS) {
    inv.logLines = MAX_LINES + 1;
    send(OUT_LOG, inv.id, L_WARN, `[nimbus] log limit reached (${MAX_LINES} lines or ${MAX_CHARS} characters): further console output of this invocation is dropped`);
    return;
  }
  send(OUT_LOG, inv.id, level, line);
}

const counts = new Map<string, number>();
const timers = new Map<string, number>();
let indent = '';

/**
 * A single plain object is logged as one JSON line (structured logging), so the host and
 * `nimbus logs --json` can hand it on parsed; anything else is formatted as Node does.
 */
function structured(args: unknown[]): string | null {
  if (args.length !== 1) return null;
  const v = args[0];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return null;
  try {
    const s = JSON.stringify(v);
    return typeof s === 'string' && s.length <= MAX_LINE ? s : null;
  } catch {
    return null; // cycles, BigInt: formatted instead
  }
}

function out(level: number, args: unknown[]): void {
  const json = structured(args);
  if (json !== null) return emit(level, json);
  const text = format(args);
  emit(level, indent ? indent + text.replace(/\n/g, '\n' + indent) : text);
}

export const console = {
  log: (...args: unknown[]) => out(L_INFO, args),
  info: (...args: unknown[]) => out(L_INFO, args),
  debug: (...args: unknown[]) => out(L_DEBUG, args),
  trace: (...args: unknown[]) => {
    const stack = (new Error().stack ?? '').split('\n').slice(2).join('\n');
    out(L_DEBUG, ['Trace' + (args.length ? ': ' + format(args) : '') + '\n' + stack]);
  },
  warn: (...args: unknown[]) => out(L_WARN, args),
  error: (...args: unknown[]) => out(L_ERROR, args),
  dir: (value: unknown) => emit(L_INFO, inspect(value)),
  table: (value: unknown) => emit(L_INFO, inspect(value)),
  assert: (condition: unknown, ...args: unknown[]) => {
    if (!condition) out(L_ERROR, ['Assertion failed' + (args.length ? ':' : ''), ...args]);
  },
  count: (label = 'default') => {
    const n = (counts.get(label) ?? 0) + 1;
    counts.set(label, n);
    emit(L_INFO, `${label}: ${n}`);
  },
  countReset: (label = 'default') => void counts.delete(label),
  time: (label = 'default') => void timers.set(label, Date.now()),
  timeLog: (label = 'default', ...args: unknown[]) => {
    const t = timers.get(label);
    if (t !== undefined) out(L_INFO, [`${label}: ${Date.now() - t}ms`, ...args]);
  },
  timeEnd: (label = 'default') => {
    const t = timers.get(label);
    timers.delete(label);
    if (t !== undefined) emit(L_INFO, `${label}: ${Date.now() - t}ms`);
  },
  group: (...args: unknown[]) => {
    if (args.length) out(L_INFO, args);
    indent += '  ';
  },
  groupCollapsed: (...args: unknown[]) => {
    if (args.length) out(L_INFO, args);
    indent += '  ';
  },
  groupEnd: () => {
    indent = indent.slice(2);
  },
};
