/** `nimbus logs`, `nimbus top`, `nimbus usage`, `nimbus alerts`: observability from the CLI. */
import { flag, has, jsonArg, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { ApiError, call, ConnectError, type ClientOptions } from '../client.ts';
import { ms, print, printJson, table, time, visible } from '../format.ts';

interface LogEntry {
  t: number;
  level: string;
  msg: string;
  invocationId: string;
  functionName: string;
  data?: unknown;
}

/** Before the second and later lines of a message: no line of it can pass for a log line of its own. */
const CONTINUATION = '    | ';

function logLine(e: LogEntry, json: boolean): string {
  if (json) return JSON.stringify(e);
  return `${time(e.t)} ${e.level.toUpperCase().padEnd(5)} ${e.functionName} ${e.invocationId.slice(-8)}  ${visible(e.msg, CONTINUATION)}`;
}

/** `nimbus logs [fn] [--follow] [--since 15m] [--level warn] [--grep text] [--invocation id] [--limit N] [--json]` */
export async function logs(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['follow', 'since', 'level', 'grep', 'invocation', 'limit', 'json']);
  const [name] = args.positionals;
  const q = new URLSearchParams();
  if (name) q.set('function', name);
  for (const k of ['since', 'level', 'grep', 'invocation', 'limit']) {
    const v = flag(args, k);
    if (v !== undefined) q.set(k, v);
  }
  const json = has(args, 'json');
  // A name that is no function fails (exit 1, "does not exist"): its logs are not merely empty.
  // Checked only when nothing was found (a deleted function's history still shows) or before following.
  const mustExist = () => (name ? call(client, 'GET', `/api/v1/functions/${encodeURIComponent(name)}`) : Promise.resolve());
  if (!has(args, 'follow')) {
    const { items } = (await call(client, 'GET', `/api/v1/logs?${q}`)).body as { items: LogEntry[] };
    for (const e of items) print(logLine(e, json));
    if (items.length === 0) await mustExist();
    if (items.length === 0 && !json) {
      process.stderr.write(`(no log lines${name ? ` of ${name}` : ''} match; widen --since, drop --level/--grep, or check the name with \`nimbus ls\`)\n`);
    }
    return 0;
  }
  await mustExist();
  q.set('follow', 'true');
  return follow(client, `/api/v1/logs?${q}`, (e) => print(logLine(e as LogEntry, json)));
}

/** Reads a Server-Sent Events stream until it ends or Ctrl-C. */
async function follow(client: ClientOptions, path: string, onData: (data: unknown) => void): Promise<number> {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  let res: Response;
  try {
    res = await fetch(client.url + path, { headers: { accept: 'text/event-stream', ...(client.token ? { authorization: `Bearer ${client.token}` } : {}) }, signal: ac.signal });
  } catch (error) {
    throw new ConnectError(`cannot reach Nimbus at ${client.url} (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message})`);
  }
  if (!res.ok) throw new ApiError(res.status, (await res.json().catch(() => ({ detail: `HTTP ${res.status}` }))) as Record<string, unknown>);
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (event === 'log' && data) onData(JSON.parse(data));
        else if (event === 'ready' && process.stderr.isTTY) process.stderr.write('-- following (Ctrl-C to stop) --\n');
        else if (event === 'error') throw new ApiError(500, JSON.parse(data));
      }
    }
  } catch (error) {
    if (!ac.signal.aborted) throw error;
  }
  return 0;
}

interface TopRow {
  function: string;
  rps: number;
  requests: number;
  errors: number;
  errorRate: number;
  throttles: number;
  coldStarts: number;
  p50Ms: number | null;
  p99Ms: number | null;
  instances: number;
  starting: number;
  inFlight: number;
  queued: number;
}

function topTable(items: TopRow[]): string {
  return table(
    ['FUNCTION', 'RPS', 'P50', 'P99', 'ERRORS', 'THROTTLED', 'COLD', 'INSTANCES', 'IN FLIGHT', 'QUEUED'],
    items.map((r) => [
      r.function,
      r.rps.toFixed(1),
      r.p50Ms === null ? '-' : ms(r.p50Ms),
      r.p99Ms === null ? '-' : ms(r.p99Ms),
      r.errors === 0 ? '0' : `${r.errors} (${(r.errorRate * 100).toFixed(1)}%)`,
      r.throttles,
      r.coldStarts,
      r.starting ? `${r.instances} (+${r.starting})` : r.instances,
      r.inFlight,
      r.queued,
    ]),
  );
}

/** `nimbus top [--window 10s] [--interval 2s] [--once] [--json]` */
export async function top(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['window', 'interval', 'once', 'json']);
  const window = flag(args, 'window') ?? '10s';
  const json = has(args, 'json');
  const once = has(args, 'once') || json || !process.stdout.isTTY;
  const intervalMs = Number.parseFloat(flag(args, 'interval') ?? '2') * 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 200) throw new UsageError('--interval takes seconds (≥ 0.2), e.g. --interval 2');
  for (;;) {
    const body = (await call(client, 'GET', `/api/v1/top?window=${encodeURIComponent(window)}`)).body as { at: number; items: TopRow[] };
    if (json) return (printJson(body.items), 0);
    const text = body.items.length === 0 ? 'no functions have run recently' : topTable(body.items);
    if (once) return (print(text), 0);
    process.stdout.write(`\x1b[2J\x1b[H nimbus top — last ${window}, ${time(body.at)}  (Ctrl-C to stop)\n\n${text}\n`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

interface UsageLine {
  function: string | null;
  period: number | null;
  requests: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  billedMs: number;
  gbSeconds: number;
  cpuMs: number;
  occupancyGbSeconds: number;
  instanceGbSeconds?: number;
  cost: number;
  grossCost: number;
}

function money(n: number, currency: string): string {
  return `${n < 0.01 && n > 0 ? n.toFixed(6) : n.toFixed(n < 100 ? 4 : 2)} ${currency}`;
}

/** `nimbus usage [--since 7d] [--until …] [--by function|day|hour|function-day] [--function fn] [--csv] [--json]` */
export async function usage(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['since', 'until', 'by', 'function', 'csv', 'json']);
  const q = new URLSearchParams();
  q.set('since', flag(args, 'since') ?? '7d');
  const until = flag(args, 'until');
  if (until) q.set('until', until);
  q.set('by', flag(args, 'by') ?? 'function');
  const fn = flag(args, 'function') ?? args.positionals[0];
  if (fn) q.set('function', fn);
  if (has(args, 'csv')) {
    q.set('format', 'csv');
    const { body } = await call(client, 'GET', `/api/v1/usage?${q}`);
    process.stdout.write(String(body));
    return 0;
  }
  const report = (await call(client, 'GET', `/api/v1/usage?${q}`)).body as { currency: string; by: string; items: UsageLine[]; total: UsageLine };
  if (has(args, 'json')) return (printJson(report), 0);
  if (report.items.length === 0) return (print('no usage in that period'), 0);
  const day = (p: number | null) => (p === null ? '' : report.by === 'hour' ? time(p) : new Date(p).toISOString().slice(0, 10));
  const rows = [...report.items, report.total].map((i, n) => [
    n === report.items.length ? 'TOTAL' : (i.function ?? ''),
    n === report.items.length ? (report.by === 'day' ? 'TOTAL' : '') : day(i.period),
    i.requests,
    i.errors,
    i.gbSeconds.toFixed(3),
    i.occupancyGbSeconds.toFixed(3),
    Math.round(i.cpuMs),
    money(i.cost, report.currency),
    (i.instanceGbSeconds ?? 0).toFixed(3),
  ]);
  const headers = ['FUNCTION', report.by === 'function' ? '' : report.by === 'hour' ? 'HOUR' : 'DAY', 'REQUESTS', 'ERRORS', 'GB-S', 'OCCUPANCY GB-S', 'CPU MS', 'COST', 'INSTANCE GB-S'];
  // Instance occupancy (apps' processes, up time x memory) is a column of its own when there is any.
  const instances = (report.total.instanceGbSeconds ?? 0) > 0 ? [8] : [];
  const keep = [...(report.by === 'function' ? [0, 2, 3, 4, 5] : report.by === 'day' ? [1, 2, 3, 4, 5] : [0, 1, 2, 3, 4, 5]), ...instances, 6, 7];
  print(table(keep.map((k) => headers[k]), rows.map((r) => keep.map((k) => r[k]))));
  print(`cost after the free tier; at list price: ${money(report.total.grossCost, report.currency)}`);
  return 0;
}

interface AlertView {
  rule: { name: string };
  origin: string;
  description: string;
  state: { status: string; since: number; value: number | null };
}
interface AlertEvent {
  id: string;
  rule: string;
  kind: string;
  at: number;
  value: number | null;
  detail: string;
  delivered: boolean;
}

/**
 * `nimbus alerts [--json]` · `alerts events [--rule R] [--limit N]` ·
 * `alerts set <name> --metric error_rate --threshold 0.05 [--function f] [--window 5m] [--op >] [--for 1m]` (or --file rule.json) ·
 * `alerts rm <name>`
 */
export async function alerts(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, name] = args.positionals;
  if (sub === undefined || sub === 'ls') {
    onlyFlags(args, ['json']);
    const body = (await call(client, 'GET', '/api/v1/alerts')).body as { items: AlertView[]; events: AlertEvent[] };
    if (has(args, 'json')) return (printJson(body), 0);
    if (body.items.length === 0) print('no alert rules; add one with `nimbus alerts set <name> --metric error_rate --threshold 0.05`');
    else
      print(
        table(
          ['NAME', 'STATE', 'SINCE', 'VALUE', 'RULE', 'FROM'],
          body.items.map((a) => [a.rule.name, a.state.status, a.state.since ? time(a.state.since) : '', a.state.value === null ? '-' : String(Math.round(a.state.value * 1e4) / 1e4), a.description, a.origin]),
        ),
      );
    if (body.events.length > 0) {
      print('\nrecent events');
      print(table(['AT', 'RULE', 'EVENT', 'VALUE', 'WEBHOOK'], body.events.map((e) => [time(e.at), e.rule, e.kind, e.value === null ? '-' : String(Math.round(e.value * 1e4) / 1e4), e.delivered ? 'delivered' : '-'])));
    }
    return 0;
  }
  if (sub === 'events') {
    onlyFlags(args, ['rule', 'limit', 'json']);
    const q = new URLSearchParams();
    const rule = flag(args, 'rule') ?? name;
    if (rule) q.set('rule', rule);
    q.set('limit', flag(args, 'limit') ?? '50');
    const { items } = (await call(client, 'GET', `/api/v1/alerts/events?${q}`)).body as { items: AlertEvent[] };
    if (has(args, 'json')) return (printJson(items), 0);
    print(items.length === 0 ? 'no alert events' : table(['AT', 'RULE', 'EVENT', 'DETAIL', 'WEBHOOK'], items.map((e) => [time(e.at), e.rule, e.kind, e.detail, e.delivered ? 'delivered' : '-'])));
    return 0;
  }
  if (sub === 'set' || sub === 'add') {
    onlyFlags(args, ['metric', 'threshold', 'function', 'window', 'op', 'for', 'min-requests', 'file', 'json']);
    if (!name) throw new UsageError('usage: nimbus alerts set <name> --metric M --threshold N [--function F] [--window 5m] [--op ">"] [--for 1m]');
    let rule: Record<string, unknown>;
    const file = flag(args, 'file');
    if (file) rule = jsonArg(`@${file}`, '--file', '--file rule.json (an alert rule object)') as Record<string, unknown>;
    else {
      const rawThreshold = flag(args, 'threshold')?.trim() ?? '';
      const threshold = rawThreshold === '' ? NaN : Number(rawThreshold);
      if (!flag(args, 'metric') || !Number.isFinite(threshold)) throw new UsageError('--metric and a numeric --threshold are required');
      rule = { metric: flag(args, 'metric'), threshold };
      for (const [f, k] of [['function', 'function'], ['window', 'window'], ['op', 'op'], ['for', 'for']] as const) {
        const v = flag(args, f);
        if (v !== undefined) rule[k] = v;
      }
      const min = flag(args, 'min-requests');
      if (min !== undefined) rule.minRequests = Number(min);
    }
    const view = (await call(client, 'PUT', `/api/v1/alerts/${encodeURIComponent(name)}`, rule)).body as AlertView;
    if (has(args, 'json')) return (printJson(view), 0);
    print(`alert ${name}: ${view.description}`);
    return 0;
  }
  if (sub === 'rm') {
    onlyFlags(args, []);
    if (!name) throw new UsageError('usage: nimbus alerts rm <name>');
    await call(client, 'DELETE', `/api/v1/alerts/${encodeURIComponent(name)}`);
    print(`alert ${name} deleted`);
    return 0;
  }
  throw new UsageError(`unknown alerts command "${sub}"; try: nimbus alerts [ls|events|set|rm]`);
}
