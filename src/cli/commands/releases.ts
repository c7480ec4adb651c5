/**
 * `nimbus alias set <name> <alias> 3 | 3=90 4=10`, `alias ls <name>`, `alias rm <name> <alias>`,
 * `nimbus promote <name> [version] [--alias live]`, `nimbus rollback <name> [--alias live]`.
 */
import { formatRoutes, parseRoutes } from '../../releases/aliases.ts';
import type { AliasRoute } from '../../core/types.ts';
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson, table, time } from '../format.ts';

interface AliasView {
  name: string;
  routes: AliasRoute[];
  previous: AliasRoute[] | null;
  updatedAt: number;
}

const path = (fn: string, alias?: string) => `/api/v1/functions/${encodeURIComponent(fn)}/${alias === undefined ? 'aliases' : `aliases/${encodeURIComponent(alias)}`}`;

function printAlias(fn: string, a: AliasView): void {
  print(`${fn}@${a.name} → ${formatRoutes(a.routes)}${a.previous ? ` (was ${formatRoutes(a.previous)}; \`nimbus rollback ${fn}${a.name === 'live' ? '' : ` --alias ${a.name}`}\` goes back)` : ''}`);
}

export async function alias(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, fn, name, ...routes] = args.positionals;
  if (sub === 'ls') {
    onlyFlags(args, ['json']);
    if (!fn) throw new UsageError('usage: nimbus alias ls <function>');
    const { items } = (await call(client, 'GET', path(fn))).body as { items: AliasView[] };
    if (has(args, 'json')) return (printJson(items), 0);
    if (items.length === 0) return (print(`${fn} has no aliases: \`nimbus alias set ${fn} live <version>\` makes one`), 0);
    print(table(['ALIAS', 'ROUTES', 'PREVIOUS', 'UPDATED'], items.map((a) => [a.name, formatRoutes(a.routes), a.previous ? formatRoutes(a.previous) : '-', time(a.updatedAt)])));
    return 0;
  }
  if (sub === 'set') {
    onlyFlags(args, ['json']);
    if (!fn || !name || routes.length === 0) throw new UsageError('usage: nimbus alias set <function> <alias> <version> | <version>=<weight> <version>=<weight>');
    const body = { routes: parseRoutes(routes) };
    const saved = (await call(client, 'PUT', path(fn, name), body)).body as AliasView;
    if (has(args, 'json')) return (printJson(saved), 0);
    printAlias(fn, saved);
    return 0;
  }
  if (sub === 'rm') {
    onlyFlags(args, []);
    if (!fn || !name) throw new UsageError('usage: nimbus alias rm <function> <alias>');
    await call(client, 'DELETE', path(fn, name));
    print(`removed ${fn}@${name}`);
    return 0;
  }
  throw new UsageError('usage: nimbus alias ls|set|rm <function> …');
}

/** Points an alias (default live) at a version (default the latest): a version tried under /fn/<name>@<version> goes live. */
export async function promote(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['alias', 'json']);
  const [fn, version] = args.positionals;
  if (!fn) throw new UsageError('usage: nimbus promote <function> [version] [--alias live]');
  const target = version ?? String(((await call(client, 'GET', `/api/v1/functions/${encodeURIComponent(fn)}`)).body as { currentVersion: number }).currentVersion);
  const saved = (await call(client, 'PUT', path(fn, flag(args, 'alias') ?? 'live'), { routes: parseRoutes([target]) })).body as AliasView;
  if (has(args, 'json')) return (printJson(saved), 0);
  printAlias(fn, saved);
  return 0;
}

export async function rollback(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['alias', 'json']);
  const [fn] = args.positionals;
  if (!fn) throw new UsageError('usage: nimbus rollback <function> [--alias live]');
  const saved = (await call(client, 'POST', `/api/v1/functions/${encodeURIComponent(fn)}/rollback`, { alias: flag(args, 'alias') ?? 'live' })).body as AliasView;
  if (has(args, 'json')) return (printJson(saved), 0);
  printAlias(fn, saved);
  return 0;
}
