/**
 * Observability routes: logs (JSON, or live over Server-Sent Events), usage and cost,
 * the live per-function table behind `nimbus top`, and alert rules and events.
 */
import type { ServerResponse } from 'node:http';
import { parseDuration } from '../config/config.ts';
import { NimbusError } from '../core/errors.ts';
import type { InvocationRecord, LogLevel } from '../core/types.ts';
import { entry, isLogLevel, linesOf, matcher, type LogEntry, type LogFilter } from '../observe/log-query.ts';
import { parseAlertRule } from '../observe/alerts/rule.ts';
import type { UsageGrouping } from '../observe/usage-report.ts';
import { usageCsv } from '../observe/usage-report.ts';
import { latestVersions } from '../store/invocation-query.ts';
import type { ApiDeps } from './context.ts';
import { intQuery, limitOf, wholeNumber } from './query.ts';
import type { ApiRequest, RouteDef } from './router.ts';

function validation(field: string, detail: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', detail, { extra: { field } });
}

/** `since` as epoch ms, or an age like 15m / 7d (from now). */
export function sinceOf(raw: string | null, now: number, field = 'since'): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (/^\d{12,}$/.test(raw)) {
    const ms = wholeNumber(raw);
    if (ms === null) throw validation(field, `${field} ${JSON.stringify(raw)} is past any date: epoch ms must be at most ${Number.MAX_SAFE_INTEGER}`);
    return ms;
  }
  const iso = /^\d{4}-\d\d-\d\d/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isFinite(iso)) return iso;
  try {
    return now - parseDuration(raw, field);
  } catch {
    throw validation(field, `${field} ${JSON.stringify(raw)} is not an age (15m, 7d), an ISO date or epoch ms`);
  }
}

function obs(deps: ApiDeps) {
  if (!deps.observability) throw new NimbusError('NIMBUS_ERR_OBSERVABILITY_OFF', 'observability is switched off on this platform (started with --no-observability); restart it without that flag');
  return deps.observability;
}

function logFilter(req: ApiRequest, now: number): LogFilter {
  const level = req.query.get('level');
  if (level !== null && !isLogLevel(level)) throw validation('level', `level ${JSON.stringify(level)} is not one of debug, info, warn, error`);
  return {
    functionName: req.query.get('function') ?? undefined,
    since: sinceOf(req.query.get('since'), now),
    level: (level ?? undefined) as LogLevel | undefined,
    grep: req.query.get('grep') ?? undefined,
    invocationId: req.query.get('invocation') ?? undefined,
  };
}

async function history(deps: ApiDeps, f: LogFilter, limit: number): Promise<{ lines: LogEntry[]; ids: Set<string> }> {
  let records: InvocationRecord[];
  if (f.invocationId !== undefined) {
    const r = deps.recorder.get(f.invocationId) ?? (await deps.store.invocations.get(f.invocationId));
    records = r ? [r] : [];
  } else {
    const stored = await deps.store.invocations.list({ functionName: f.functionName, since: f.since, limit: Math.min(5000, limit) });
    // Every unwritten record of the function and time (those without a matching line must not
    // crowd out older ones with one); the pack decodes just those.
    const pending = deps.recorder.pending({ functionName: f.functionName, since: f.since, limit: Number.MAX_SAFE_INTEGER });
    records = latestVersions([...stored, ...pending]); // linesOf orders the lines
  }
  return { lines: linesOf(records, f, limit), ids: new Set(records.map((r) => r.id)) };
}

function stream(deps: ApiDeps, req: ApiRequest, res: ServerResponse, f: LogFilter, limit: number): Promise<{ streamed: true }> {
  const match = matcher(f);
  const buffered: LogEntry[] = [];
  let replayed: Set<string> | null = null;
  const write = (e: LogEntry) => res.write(`event: log\ndata: ${JSON.stringify(e)}\n\n`);
  // Subscribe before reading history so nothing falls between the two.
  const unsubscribe = deps.logs.subscribe((fn, id, line) => {
    if (!match(fn, id, line)) return;
    const e = entry(fn, id, line);
    if (replayed === null) buffered.push(e);
    else write(e);
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': nimbus logs\n\n');
  let ping: { cancel(): void } | null = null;
  const beat = () => {
    ping = deps.clock.setTimer(15_000, () => {
      res.write(': ping\n\n');
      beat();
    });
  };
  return new Promise((resolve) => {
    const end = () => {
      unsubscribe();
      ping?.cancel();
      resolve({ streamed: true });
    };
    req.raw.on('close', end);
    res.on('close', end);
    history(deps, f, limit).then(
      ({ lines, ids }) => {
        for (const e of lines) write(e);
        // Lines of invocations already replayed from their record are not repeated.
        for (const e of buffered) if (!ids.has(e.invocationId)) write(e);
        buffered.length = 0;
        replayed = ids;
        res.write(`event: ready\ndata: {}\n\n`);
        beat();
      },
      (error: unknown) => {
        res.write(`event: error\ndata: ${JSON.stringify({ detail: (error as Error).message })}\n\n`);
        res.end();
      },
    );
  });
}

/** Lines of history a follow starts with when no `limit` is given. */
export const FOLLOW_HISTORY_LINES = 10;

const GROUPINGS = new Set<UsageGrouping>(['function', 'day', 'hour', 'function-day']);

export function observeRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/logs',
      operationId: 'listLogs',
      handler: async (req, res) => {
        const now = deps.clock.now();
        const f = logFilter(req, now);
        const followParam = req.query.get('follow');
        const follow = followParam === 'true' || followParam === '1' || /text\/event-stream/.test(String(req.headers.accept ?? ''));
        // Following starts as `tail -f` does: the last few lines, then live; `limit` asks for more.
        const limit = intQuery(req.query.get('limit'), 'limit', { dflt: follow ? FOLLOW_HISTORY_LINES : 200, min: 1, max: 10_000 });
        if (follow) {
          obs(deps);
          return stream(deps, req, res, f, limit);
        }
        const { lines } = await history(deps, f, limit);
        return { status: 200, body: { items: lines } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/usage',
      operationId: 'getUsage',
      handler: async (req, res) => {
        const o = obs(deps);
        const now = deps.clock.now();
        const sinceRaw = req.query.get('since') ?? '7d';
        const since = sinceOf(sinceRaw, now) as number;
        const until = sinceOf(req.query.get('until'), now, 'until') ?? now + 3_600_000;
        if (since > until) {
          throw validation('until', `until ${JSON.stringify(req.query.get('until') ?? 'now')} is before since ${JSON.stringify(sinceRaw)}: the period would be empty (an age counts back from now: since=7d&until=1d)`);
        }
        const by = (req.query.get('by') ?? 'function') as UsageGrouping;
        if (!GROUPINGS.has(by)) throw validation('by', `by ${JSON.stringify(by)} is not one of ${[...GROUPINGS].join(', ')}`);
        const format = req.query.get('format');
        if (format !== null && format !== 'json' && format !== 'csv') throw validation('format', `format ${JSON.stringify(format)} is not one of json, csv`);
        const report = await o.usage({ since, until, by, functionName: req.query.get('function') ?? undefined });
        if (format === 'csv' || (format === null && /text\/csv/.test(String(req.headers.accept ?? '')))) {
          const csv = usageCsv(report);
          res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-length': Buffer.byteLength(csv) });
          res.end(csv);
          return { streamed: true };
        }
        return { status: 200, body: report };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/top',
      operationId: 'getTop',
      handler: async (req) => {
        const o = obs(deps);
        const raw = req.query.get('window') ?? '10s';
        let windowMs: number;
        try {
          windowMs = parseDuration(raw, 'window');
        } catch {
          throw validation('window', `window ${JSON.stringify(raw)} is not a duration (10s, 1m)`);
        }
        if (windowMs < 1000 || windowMs > 3_600_000) throw validation('window', 'window must be from 1s to 1h');
        return { status: 200, body: { at: deps.clock.now(), windowMs, items: o.top(windowMs), total: o.topTotal(windowMs) } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/alerts',
      operationId: 'listAlerts',
      handler: async () => {
        const o = obs(deps);
        const events = await deps.store.alerts.listEvents({ limit: 20 });
        return { status: 200, body: { items: o.alerts.list(), events } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/alerts/events',
      operationId: 'listAlertEvents',
      handler: async (req) => {
        obs(deps);
        const limit = limitOf(req.query.get('limit'));
        const items = await deps.store.alerts.listEvents({ rule: req.query.get('rule') ?? undefined, limit });
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/alerts/{name}',
      operationId: 'putAlert',
      handler: async (req) => {
        const o = obs(deps);
        const raw = await req.json();
        // A rule on a function that is not deployed would never fire: most likely a typo.
        const scope = parseAlertRule(raw, req.params.name).function;
        if (scope !== undefined && !(await deps.store.functions.get(scope))) {
          throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${scope}" does not exist; \`nimbus ls\` lists the deployed ones`);
        }
        const view = await o.alerts.put(raw, req.params.name);
        return { status: 200, body: view };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/alerts/{name}',
      operationId: 'deleteAlert',
      handler: async (req) => {
        await obs(deps).alerts.remove(req.params.name);
        return { status: 204 };
      },
    },
  ];
}
