/** `nimbus ls`, `nimbus info <name>`, `nimbus rm <name>`. */
import { has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { bytes, ms, print, printJson, table, time } from '../format.ts';
import { scaleLines, type ScaleStatusView } from './scale.ts';
import type { AliasRoute } from '../../core/types.ts';
import { formatRoutes } from '../../releases/aliases.ts';

interface Summary {
  name: string;
  currentVersion: number;
  updatedAt: number;
  instances: number;
  config?: { memoryMb: number; timeoutMs: number; minInstances: number; maxInstances: number };
  scaleOverride?: { minInstances?: number; maxInstances?: number } | null;
}

/** min–max instances as they apply now; "*" when `nimbus scale` overrides the deployed values. */
function scaleRange(f: Summary): string {
  const min = f.scaleOverride?.minInstances ?? f.config?.minInstances;
  const max = f.scaleOverride?.maxInstances ?? f.config?.maxInstances;
  return `${min ?? '?'}–${max ?? '?'}${f.scaleOverride ? ' *' : ''}`;
}

export async function ls(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['json']);
  const { items } = (await call(client, 'GET', '/api/v1/functions')).body as { items: Summary[] };
  if (has(args, 'json')) return (printJson(items), 0);
  if (items.length === 0) return (print('no functions yet: nimbus deploy <name> <file.ts>'), 0);
  print(
    table(
      ['NAME', 'VERSION', 'MEMORY', 'TIMEOUT', 'INSTANCES', 'SCALE', 'UPDATED'],
      items.map((f) => [f.name, f.currentVersion, `${f.config?.memoryMb ?? '?'} MB`, ms(f.config?.timeoutMs ?? 0), f.instances, scaleRange(f), time(f.updatedAt)]),
    ),
  );
  if (items.some((f) => f.scaleOverride)) print('* scaled live with `nimbus scale` (`nimbus info <name>` shows the settings)');
  return 0;
}

interface Detail {
  name: string;
  url: string;
  currentVersion: number;
  current: { version: number; codeBytes: number; hash: string; createdAt: number; exports: { fetch: boolean; handler: boolean }; config: Record<string, unknown> };
  versions: Array<{ version: number; codeBytes: number; createdAt: number; hash: string }>;
  aliases?: Array<{ name: string; routes: AliasRoute[] }>;
  secrets?: string[];
  pools: Array<{ version: number; ready: number; starting: number; inFlight: number; queued: number; instances: Array<{ id: string; inFlight: number; served: number; initMs: number; heapUsedBytes: number }> }>;
}

export async function info(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['json']);
  const [name] = args.positionals;
  if (!name) throw new UsageError('usage: nimbus info <name>');
  const d = (await call(client, 'GET', `/api/v1/functions/${encodeURIComponent(name)}`)).body as Detail;
  const scale = (await call(client, 'GET', `/api/v1/functions/${encodeURIComponent(name)}/scale`)).body as ScaleStatusView;
  if (has(args, 'json')) return (printJson({ ...d, scale }), 0);
  const c = d.current.config as Record<string, number | Record<string, string>>;
  const exportsList = [d.current.exports.fetch && 'fetch', d.current.exports.handler && 'handler'].filter(Boolean).join(' + ');
  print(`${d.name}  version ${d.currentVersion}  ${d.url}`);
  print(`  exports   ${exportsList}`);
  print(`  code      ${bytes(d.current.codeBytes)}  sha256 ${d.current.hash.slice(0, 12)}`);
  print(`  limits    ${c.memoryMb} MB memory, ${ms(c.timeoutMs as number)} timeout, ${ms(c.cpuLimitMs as number)} CPU`);
  const envKeys = Object.keys(c.env as Record<string, string>);
  print(`  env       ${envKeys.length ? envKeys.join(', ') : '(none)'}`);
  if (d.secrets?.length) print(`  secrets   ${d.secrets.join(', ')}`);
  if (d.aliases?.length) print(`  aliases   ${d.aliases.map((a) => `${a.name} → ${formatRoutes(a.routes)}`).join(', ')}`);
  for (const line of scaleLines(scale)) print(line);
  for (const p of d.pools) {
    for (const i of p.instances) print(`    v${p.version} ${i.id}  in flight ${i.inFlight}  served ${i.served}  init ${ms(i.initMs)}  heap ${bytes(i.heapUsedBytes)}`);
  }
  print('');
  print(table(['VERSION', 'SIZE', 'SHA256', 'CREATED'], d.versions.map((v) => [v.version, bytes(v.codeBytes), v.hash.slice(0, 12), time(v.createdAt)])));
  return 0;
}

export async function rm(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['json']);
  const [name] = args.positionals;
  if (!name) throw new UsageError('usage: nimbus rm <name>');
  await call(client, 'DELETE', `/api/v1/functions/${encodeURIComponent(name)}`);
  if (has(args, 'json')) printJson({ deleted: name });
  else print(`✓ deleted ${name}`);
  return 0;
}
