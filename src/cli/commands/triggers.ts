/**
 * `nimbus triggers ls|add|rm` (timers with their next fire times, and event
 * subscriptions), `nimbus subscriptions [topic]`, and the deploy declaration file: a
 * function declares its async policy and triggers next to its code in `nimbus.json`
 * (in its folder) or `<file>.nimbus.json` (beside a single file).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson, table } from '../format.ts';

interface TriggerView {
  id: string;
  /** Absent when the trigger starts a workflow. */
  function?: string;
  workflow?: string;
  kind: 'timer' | 'event';
  origin: string;
  schedule?: string;
  timezone?: string | null;
  missed?: string;
  next?: string[];
  lastFiredAt?: string | null;
  topic?: string;
  filter?: Record<string, { exact?: string; prefix?: string }>;
}

function describeFilter(filter: TriggerView['filter']): string {
  const parts = Object.entries(filter ?? {}).map(([k, m]) => (m.exact !== undefined ? `${k}=${m.exact}` : `${k}^=${m.prefix}`));
  return parts.length === 0 ? 'all events' : parts.join(' ');
}

/** The target as `ls` shows it: a function's name, or `workflow:<name>`. */
function targetText(t: TriggerView): string {
  return t.workflow !== undefined ? `workflow:${t.workflow}` : (t.function ?? '');
}

function triggerTable(items: TriggerView[]): string {
  return table(
    ['ID', 'TARGET', 'KIND', 'SCHEDULE / TOPIC', 'TZ / FILTER', 'MISSED', 'NEXT', 'FROM'],
    items.map((t) =>
      t.kind === 'timer'
        ? [t.id, targetText(t), 'timer', t.schedule ?? '', t.timezone ?? (t.schedule?.startsWith('rate') ? '' : 'UTC'), t.missed ?? '', (t.next ?? []).join(', '), t.origin]
        : [t.id, targetText(t), 'event', t.topic ?? '', describeFilter(t.filter), '', '', t.origin],
    ),
  );
}

const USAGE = `usage:
  nimbus triggers ls [function] [--workflow W] [--kind timer|event] [--next 3]
  nimbus triggers add <function> --schedule '<cron or rate(...)>' [--tz Europe/Berlin] [--missed skip|run-once] [--input JSON]
  nimbus triggers add <function> --topic <topic> [--type T | --type-prefix P] [--source S | --source-prefix P] [--subject S | --subject-prefix P]
  nimbus triggers add --workflow <workflow> --schedule … | --topic …     (same options: starts an execution per tick / event)
  nimbus triggers rm <id>`;

function triggerBody(target: { function: string } | { workflow: string }, args: ParsedArgs): Record<string, unknown> {
  const schedule = flag(args, 'schedule');
  const topic = flag(args, 'topic');
  if ((schedule === undefined) === (topic === undefined)) {
    const what = schedule === undefined ? 'give --schedule (a timer) or --topic (a subscription)' : 'give --schedule (a timer) or --topic (a subscription), not both: one trigger each';
    throw new UsageError(`${what}\n${USAGE}`);
  }
  if (schedule !== undefined) {
    const body: Record<string, unknown> = { ...target, schedule };
    const tz = flag(args, 'tz');
    if (tz !== undefined) body.timezone = tz;
    const missed = flag(args, 'missed');
    if (missed !== undefined) body.missed = missed;
    const input = flag(args, 'input');
    if (input !== undefined) {
      try {
        body.input = JSON.parse(input);
      } catch (e) {
        throw new UsageError(`--input is not valid JSON (${(e as Error).message})`);
      }
    }
    return body;
  }
  const filter: Record<string, unknown> = {};
  for (const attr of ['type', 'source', 'subject']) {
    const exact = flag(args, attr);
    const prefix = flag(args, `${attr}-prefix`);
    if (exact !== undefined && prefix !== undefined) throw new UsageError(`give --${attr} or --${attr}-prefix, not both`);
    if (exact !== undefined) filter[attr] = { exact };
    if (prefix !== undefined) filter[attr] = { prefix };
  }
  return { ...target, topic, filter };
}

export async function triggers(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, arg] = args.positionals;
  switch (sub) {
    case 'ls':
    case undefined: {
      onlyFlags(args, ['kind', 'next', 'workflow', 'json']);
      const q = new URLSearchParams();
      if (arg) q.set('function', arg);
      const wf = flag(args, 'workflow');
      if (wf) q.set('workflow', wf);
      const kind = flag(args, 'kind');
      if (kind) q.set('kind', kind);
      q.set('next', flag(args, 'next') ?? '3');
      const { items } = (await call(client, 'GET', `/api/v1/triggers?${q}`)).body as { items: TriggerView[] };
      if (has(args, 'json')) return (printJson(items), 0);
      print(items.length === 0 ? 'no triggers' : triggerTable(items));
      return 0;
    }
    case 'add': {
      onlyFlags(args, ['workflow', 'schedule', 'tz', 'missed', 'input', 'topic', 'type', 'type-prefix', 'source', 'source-prefix', 'subject', 'subject-prefix', 'json']);
      const workflow = flag(args, 'workflow');
      if (workflow !== undefined && arg) throw new UsageError('give a function or --workflow <name>, not both: a trigger has one target\n' + USAGE);
      if (workflow === undefined && !arg) throw new UsageError(USAGE);
      const target = workflow !== undefined ? { workflow } : { function: arg };
      const t = (await call(client, 'POST', '/api/v1/triggers', triggerBody(target, args))).body as TriggerView;
      if (has(args, 'json')) return (printJson(t), 0);
      const who = t.workflow !== undefined ? `workflow ${t.workflow}` : t.function;
      print(t.kind === 'timer' ? `✓ timer ${t.id} on ${who}: ${t.schedule}; next ${(t.next ?? []).join(', ')}` : `✓ ${who} subscribed to ${t.topic} (${describeFilter(t.filter)}) as ${t.id}`);
      return 0;
    }
    case 'rm': {
      onlyFlags(args, []);
      if (!arg) throw new UsageError(USAGE);
      await call(client, 'DELETE', `/api/v1/triggers/${encodeURIComponent(arg)}`);
      print(`✓ removed trigger ${arg}`);
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
}

export async function subscriptions(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['json']);
  const [topic] = args.positionals;
  const q = new URLSearchParams({ kind: 'event' });
  if (topic) q.set('topic', topic);
  const { items } = (await call(client, 'GET', `/api/v1/triggers?${q}`)).body as { items: TriggerView[] };
  if (has(args, 'json')) return (printJson(items), 0);
  print(items.length === 0 ? 'no subscriptions' : triggerTable(items));
  return 0;
}

/**
 * The declaration beside a function's code, if any: `<dir>/nimbus.json` for a folder,
 * `<name>.nimbus.json` for a file. `{ "async": {…policy}, "triggers": [ … ], "app": {…}, "nodeBuild": ["pkg"] }`.
 */
export function readDeclaration(path: string): { async?: unknown; triggers?: unknown; app?: unknown; nodeBuild?: unknown } {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const file = isDir ? join(path, 'nimbus.json') : join(dirname(path), `${basename(path, extname(path))}.nimbus.json`);
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${file} must be an object with "async", "triggers", "app" and/or "nodeBuild"`);
  const out: { async?: unknown; triggers?: unknown; app?: unknown; nodeBuild?: unknown } = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (k === 'async' || k === 'triggers' || k === 'app' || k === 'nodeBuild') out[k] = v;
    else if (k !== '$schema') throw new UsageError(`${file}: unknown key "${k}"; it may have "async", "triggers", "app" and "nodeBuild"`);
  }
  return out;
}
