/**
 * `nimbus dlq ls|show|redrive|rm` (dead letters) and `nimbus async ls|show` (status of
 * async invocations). Reads take --json.
 */
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson, table, time, visible, visibleLine } from '../format.ts';

export interface ItemView {
  id: string;
  function: string | null;
  workflow?: string;
  kind: string;
  trigger: string;
  source: string;
  state: string;
  attempts: number;
  throttles: number;
  acceptedAt: number;
  enqueuedAt: number;
  nextAttemptAt: number | null;
  leaseExpiresAt: number | null;
  finishedAt: number | null;
  deadReason: string | null;
  lastError: { code: string; message: string } | null;
  idempotencyKey: string | null;
  payload?: unknown;
}

function itemTable(items: ItemView[]): string {
  return table(
    ['ID', 'FUNCTION', 'TRIGGER', 'STATE', 'ATTEMPTS', 'ACCEPTED', 'NEXT / FINISHED', 'REASON / LAST ERROR'],
    items.map((i) => [
      i.id,
      i.function ?? (i.workflow !== undefined ? `workflow:${i.workflow}` : `(${i.kind})`),
      i.trigger,
      i.state,
      i.throttles > 0 ? `${i.attempts} (+${i.throttles} throttled)` : i.attempts,
      time(i.acceptedAt),
      i.nextAttemptAt !== null ? time(i.nextAttemptAt) : i.finishedAt !== null ? time(i.finishedAt) : '',
      visibleLine([i.deadReason, i.lastError ? `${i.lastError.code}: ${i.lastError.message}` : null].filter(Boolean).join(' — ').slice(0, 120)),
    ]),
  );
}

function details(i: ItemView): string {
  const lines = [
    `${i.id}  ${i.function ?? i.kind}  ${i.state}${i.deadReason ? ` (${i.deadReason})` : ''}`,
    `  trigger     ${i.trigger} · ${i.source}`,
    `  attempts    ${i.attempts}${i.throttles ? ` (+${i.throttles} throttled, not counted)` : ''}`,
    `  accepted    ${time(i.acceptedAt)}${i.enqueuedAt !== i.acceptedAt ? ` (redriven ${time(i.enqueuedAt)})` : ''}`,
  ];
  if (i.nextAttemptAt !== null) lines.push(`  next        ${time(i.nextAttemptAt)}`);
  if (i.leaseExpiresAt !== null) lines.push(`  running     lease until ${time(i.leaseExpiresAt)}`);
  if (i.finishedAt !== null) lines.push(`  finished    ${time(i.finishedAt)}`);
  if (i.lastError) lines.push(`  last error  ${visible(`${i.lastError.code}: ${i.lastError.message}`, '    | ')}`);
  if (i.idempotencyKey) lines.push(`  key         ${i.idempotencyKey}`);
  if (i.payload !== undefined) lines.push('  event', ...JSON.stringify(i.payload, null, 2).split('\n').map((l) => '    ' + l));
  return lines.join('\n');
}

const DLQ_USAGE = 'usage: nimbus dlq ls [function] | dlq show <id> | dlq redrive <id> | dlq redrive --all [--function name] | dlq rm <id>';

export async function dlq(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, arg] = args.positionals;
  switch (sub) {
    case 'ls': {
      onlyFlags(args, ['limit', 'json']);
      const q = new URLSearchParams({ limit: flag(args, 'limit') ?? '50' });
      if (arg) q.set('function', arg);
      const { items } = (await call(client, 'GET', `/api/v1/dlq?${q}`)).body as { items: ItemView[] };
      if (has(args, 'json')) return (printJson(items), 0);
      print(items.length === 0 ? 'no dead letters' : itemTable(items));
      return 0;
    }
    case 'show': {
      onlyFlags(args, ['json']);
      if (!arg) throw new UsageError(DLQ_USAGE);
      const item = (await call(client, 'GET', `/api/v1/dlq/${encodeURIComponent(arg)}`)).body as ItemView;
      if (has(args, 'json')) return (printJson(item), 0);
      print(details(item));
      return 0;
    }
    case 'redrive': {
      onlyFlags(args, ['all', 'function', 'json']);
      if (has(args, 'all') || flag(args, 'function')) {
        if (arg) throw new UsageError('give an id or --all, not both');
        const fn = flag(args, 'function');
        const { redriven } = (await call(client, 'POST', '/api/v1/dlq/redrive', fn ? { function: fn } : {})).body as { redriven: number };
        if (has(args, 'json')) return (printJson({ redriven }), 0);
        print(`✓ redrove ${redriven} dead letter${redriven === 1 ? '' : 's'}${fn ? ` of ${fn}` : ''}`);
        return 0;
      }
      if (!arg) throw new UsageError(DLQ_USAGE);
      const item = (await call(client, 'POST', `/api/v1/dlq/${encodeURIComponent(arg)}/redrive`)).body as ItemView;
      if (has(args, 'json')) return (printJson(item), 0);
      print(`✓ ${item.id} is queued again (same id and event; attempts start from 1)`);
      return 0;
    }
    case 'rm': {
      onlyFlags(args, []);
      if (!arg) throw new UsageError(DLQ_USAGE);
      await call(client, 'DELETE', `/api/v1/dlq/${encodeURIComponent(arg)}`);
      print(`✓ deleted dead letter ${arg}`);
      return 0;
    }
    default:
      throw new UsageError(DLQ_USAGE);
  }
}

const ASYNC_USAGE = 'usage: nimbus async ls [function] [--state queued|running|succeeded|dead] | nimbus async show <id>';

export async function asyncStatus(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, arg] = args.positionals;
  if (sub === 'ls') {
    onlyFlags(args, ['limit', 'state', 'json']);
    const q = new URLSearchParams({ limit: flag(args, 'limit') ?? '20' });
    if (arg) q.set('function', arg);
    const state = flag(args, 'state');
    if (state) q.set('state', state);
    const body = (await call(client, 'GET', `/api/v1/async?${q}`)).body as { items: ItemView[]; counts: Record<string, number> };
    if (has(args, 'json')) return (printJson(body), 0);
    const c = body.counts;
    print(`${c.queued} queued · ${c.running} running · ${c.succeeded} succeeded · ${c.dead} dead`);
    if (body.items.length > 0) print(itemTable(body.items));
    return 0;
  }
  if (sub === 'show' && arg) {
    onlyFlags(args, ['json']);
    const item = (await call(client, 'GET', `/api/v1/async/${encodeURIComponent(arg)}?payload=true`)).body as ItemView;
    if (has(args, 'json')) return (printJson(item), 0);
    print(details(item));
    return 0;
  }
  throw new UsageError(ASYNC_USAGE);
}
