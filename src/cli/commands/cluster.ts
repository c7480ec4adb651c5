/** `nimbus cluster status`: the nodes sharing the store, their address, version, load and instances, when each was last seen. */
import { has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson, table, time } from '../format.ts';

interface NodeView {
  id: string;
  address: string;
  version: string;
  startedAt: number;
  lastSeen: number;
  load: number;
  instances: number;
  state: 'alive' | 'stale';
}

interface ClusterView {
  self: string;
  store: string;
  bus: string;
  staleAfterMs: number;
  cronNode: string | null;
  nodes: NodeView[];
}

export async function cluster(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub = 'status', ...extra] = args.positionals;
  if (sub !== 'status' || extra.length > 0) throw new UsageError('usage: nimbus cluster status [--json]');
  onlyFlags(args, ['json']);
  const view = (await call(client, 'GET', '/api/v1/cluster')).body as ClusterView;
  if (has(args, 'json')) return (printJson(view), 0);
  const alive = view.nodes.filter((n) => n.state === 'alive').length;
  print(`${alive} of ${view.nodes.length} node${view.nodes.length === 1 ? '' : 's'} alive · store ${view.store} · bus ${view.bus} · stale after ${view.staleAfterMs / 1000}s · timers fired by ${view.cronNode ?? '(none)'}`);
  print(
    table(
      ['NODE', 'ADDRESS', 'VERSION', 'STATE', 'LOAD', 'INSTANCES', 'LAST SEEN', 'STARTED'],
      view.nodes.map((n) => [n.id === view.self ? `${n.id} (this)` : n.id, n.address, n.version, n.state, n.load, n.instances, time(n.lastSeen), time(n.startedAt)]),
    ),
  );
  return 0;
}
