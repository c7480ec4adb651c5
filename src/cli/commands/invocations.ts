/** `nimbus invocations [name]` and `nimbus show <invocation-id>`: records and their logs. */
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { ms, print, printJson, table, time, visible, visibleLine } from '../format.ts';

interface RecordView {
  id: string;
  functionName: string;
  version: number;
  alias?: string | null;
  trigger: string;
  startedAt: number;
  durationMs: number;
  billedMs: number;
  memoryMb: number;
  status: string;
  statusCode: number | null;
  errorName: string | null;
  errorMessage: string | null;
  coldStart: boolean;
  initMs: number;
  logs: Array<{ t: number; level: string; msg: string }>;
  logsTruncated: boolean;
}

export async function invocations(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['limit', 'status', 'json']);
  const [name] = args.positionals;
  const q = new URLSearchParams();
  if (name) q.set('function', name);
  q.set('limit', flag(args, 'limit') ?? '20');
  const status = flag(args, 'status');
  if (status) q.set('status', status);
  const { items } = (await call(client, 'GET', `/api/v1/invocations?${q}`)).body as { items: RecordView[] };
  if (has(args, 'json')) return (printJson(items), 0);
  if (items.length === 0) return (print(name ? `no invocations of ${name} yet` : 'no invocations yet'), 0);
  print(
    table(
      ['ID', 'FUNCTION', 'V', 'TRIGGER', 'STARTED', 'DURATION', 'BILLED', 'STATUS', 'COLD'],
      items.map((r) => [
        r.id,
        r.functionName,
        r.alias ? `${r.version}@${r.alias}` : r.version,
        r.trigger,
        time(r.startedAt),
        ms(r.durationMs),
        `${r.billedMs} ms`,
        r.status === 'success' ? `ok ${r.statusCode ?? ''}`.trim() : `${r.status}${r.errorName ? ` (${visibleLine(r.errorName)})` : ''}`,
        r.coldStart ? `yes ${ms(r.initMs)}` : '',
      ]),
    ),
  );
  return 0;
}

export async function show(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['json']);
  const [id] = args.positionals;
  if (!id) throw new UsageError('usage: nimbus show <invocation-id>');
  const r = (await call(client, 'GET', `/api/v1/invocations/${encodeURIComponent(id)}`)).body as RecordView;
  if (has(args, 'json')) return (printJson(r), 0);
  print(`${r.id}  ${r.functionName} v${r.version}${r.alias ? ` (via ${r.alias})` : ''}  ${r.trigger}  ${time(r.startedAt)}`);
  print(`  status   ${r.status}${r.statusCode ? ` (HTTP ${r.statusCode})` : ''}${r.errorName ? `  ${visible(`${r.errorName}: ${r.errorMessage}`, '    | ')}` : ''}`);
  print(`  duration ${ms(r.durationMs)}  billed ${r.billedMs} ms at ${r.memoryMb} MB${r.coldStart ? `  cold start (init ${ms(r.initMs)})` : ''}`);
  print(`  logs${r.logs.length === 0 ? '     (none)' : ''}`);
  for (const l of r.logs) print(`    ${time(l.t)} ${l.level.toUpperCase().padEnd(5)} ${visible(l.msg, '      | ')}`);
  return 0;
}
