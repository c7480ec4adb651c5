/**
 * The composition root's cluster part: what a node needs when several share a store (it
 * costs nearly nothing on one): its id, invalidation over the bus (the store it returns
 * announces changes), the cron lease, membership with the queue recovery of dead nodes,
 * live logs across nodes, and finding the node that drives a workflow execution.
 */
import { hostname } from 'node:os';
import type { ClusterInfo } from '../api/cluster.ts';
import type { Bus } from '../bus/port.ts';
import { installedVersion } from '../cli/install-dir.ts';
import { announcingStore, ChangeFeed, type ChangeHandlers } from '../cluster/changes.ts';
import { LeaseKeeper } from '../cluster/lease-keeper.ts';
import { nodeState } from '../cluster/liveness.ts';
import { LogRelay } from '../cluster/log-relay.ts';
import { Membership } from '../cluster/membership.ts';
import { NOWHERE, ScaleSignals, type Elsewhere } from '../cluster/scale-signals.ts';
import { ensureNodeId } from '../cluster/node-id.ts';
import type { Config } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import type { LogCollector } from '../observe/log-collector.ts';
import type { Capacity } from '../pool/capacity.ts';
import type { PoolRegistry } from '../pool/registry.ts';
import type { Store } from '../store/ports.ts';
import { executionLease } from '../workflow/engine/ownership.ts';
import type { Logger } from './logger.ts';

export interface ClusterWiringDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: Store;
  readonly bus: Bus;
  readonly namespace: string;
}

/** Built before the rest (the rest uses `store`); `connect` once the parts it calls into exist. */
export function clusterWiring(deps: ClusterWiringDeps) {
  const { config, clock, logger, bus, namespace } = deps;
  const onError = (error: unknown, what: string) => logger.error({ err: error }, what);
  const nodeId = ensureNodeId(config.dataDir);
  const version = installedVersion();
  const changes = new ChangeFeed(bus, namespace, nodeId, onError);
  const store = announcingStore(deps.store, changes.announce);
  let address = '';
  let parts: { pools: PoolRegistry; capacity: Capacity; reloadTimers: () => Promise<void>; wakeConsumer: () => void } | null = null;
  // What the other nodes run, for the autoscaler and the platform caps: only where there are other nodes (NATS).
  const scale =
    config.bus === ''
      ? null
      : new ScaleSignals({
          clock,
          bus,
          namespace,
          nodeId,
          staleAfterMs: config.leaseMs,
          describe: () => {
            const functions: Record<string, number> = {};
            let instances = 0;
            for (const p of parts?.pools.all() ?? []) {
              const v = p.scaleView();
              const n = v.active + v.starting;
              if (n === 0) continue;
              functions[p.version.functionName] = (functions[p.version.functionName] ?? 0) + n;
              instances += n;
            }
            return { functions, instances, memoryMb: parts?.capacity.usage().memoryMb ?? 0 };
          },
          onError,
        });
  const elsewhere = (): Elsewhere => scale?.elsewhere() ?? NOWHERE;

  const cronLease = new LeaseKeeper({
    clock,
    leases: store.leases,
    name: 'cron',
    owner: nodeId,
    ttlMs: config.leaseMs,
    onGained: () => void parts?.reloadTimers().catch((e: unknown) => onError(e, 'reloading timers')),
    onError,
  });
  const membership = new Membership({
    clock,
    nodes: store.nodes,
    queue: store.queue,
    nodeId,
    describe: () => {
      let load = 0;
      let instances = 0;
      // Counts only: stats() would ask every instance for its figures (a heap reading each) every interval.
      for (const p of parts?.pools.all() ?? []) {
        load += p.load();
        instances += p.instanceCount();
      }
      return { address, version, load, instances };
    },
    intervalMs: Math.max(250, Math.floor(config.leaseMs / 5)),
    staleAfterMs: config.leaseMs,
    onRecovered: (count) => {
      logger.info({ count }, 'async invocations of a node that stopped are queued again');
      parts?.wakeConsumer();
    },
    onError,
  });
  let logRelay: LogRelay | null = null;

  const info: ClusterInfo = {
    nodeId,
    staleAfterMs: config.leaseMs,
    store: config.store === '' ? 'sqlite' : 'postgres',
    bus: config.bus === '' ? 'local' : 'nats',
    ownerAddress: async (executionId) => {
      const now = clock.now();
      const lease = await store.leases.holder(executionLease(executionId), now);
      if (!lease || lease.owner === nodeId) return null;
      const owner = (await store.nodes.list()).find((n) => n.id === lease.owner && nodeState(n, now, config.leaseMs) === 'alive');
      return owner?.address ?? null;
    },
  };

  return {
    nodeId,
    store,
    info,
    cronLease,
    membership,
    /** What the other nodes use, in all (the platform caps count it). */
    elsewhereTotal: () => elsewhere(),
    /** What the other nodes run of a function, and how many nodes there are (this one included): the autoscaler's view of the cluster. */
    elsewhereOf: (functionName: string) => {
      const e = elsewhere();
      return { instances: e.functions.get(functionName) ?? 0, nodes: e.nodes + 1 };
    },
    /** Starts applying other nodes' changes and relaying live logs, once the parts exist. */
    connect(p: { pools: PoolRegistry; capacity: Capacity; logs: LogCollector; reloadTimers: () => Promise<void>; wakeConsumer: () => void; onChange: ChangeHandlers }): void {
      parts = p;
      scale?.start();
      logRelay = new LogRelay({ clock, bus, namespace, nodeId, logs: p.logs, onError });
      logRelay.start();
      changes.start(p.onChange);
    },
    /** The server listens at `url` on `port`: what other nodes reach it at (a wildcard address is none; the host name is). */
    listening(url: string, port: number): void {
      address = config.host === '0.0.0.0' || config.host === '::' ? `http://${hostname()}:${port}` : url;
    },
    /** Stops the signals (the leases and the registry row go with cronLease.stop and membership.stop). */
    disconnect(): void {
      changes.stop();
      logRelay?.stop();
      scale?.stop();
    },
  };
}
