/**
 * Three (or n) real node processes on one machine sharing a PostgreSQL schema of their own
 * and the NATS server: the first node makes the API token and the secrets key, the others
 * get copies in their data directories (as docs/cluster.md says to do), so one token works
 * on every node. Skips with one line where PostgreSQL or NATS is unreachable.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicStreamName } from '../../src/bus/nats/jetstream-topic-log.ts';
import { natsSkipReason, TEST_NATS } from '../../src/bus/nats/test-server.ts';
import { busNamespace } from '../../src/cluster/cluster-id.ts';
import { connect } from 'nats';
import pg from 'pg';
import { dropSchema, freshSchema, pgSkipReason, PG_TEST_URL } from '../../src/store/postgres/test-database.ts';
import { startPlatform, type RunningPlatform } from './platform.ts';
import { SINK_ALLOWED } from './sink.ts';

/** null when PostgreSQL and NATS both answer; else the line a skipped test shows. */
export async function clusterSkipReason(): Promise<string | null> {
  return (await pgSkipReason()) ?? (await natsSkipReason());
}

export interface Cluster {
  readonly nodes: RunningPlatform[];
  /** Starts another node on the cluster's store and bus (a fresh data directory with the shared token and key). */
  add(): Promise<RunningPlatform>;
  close(): Promise<void>;
}

/** Short leases keep failover (and so the tests) quick. */
export const LEASE = '3s';

export async function startCluster(n: number, extraArgs: readonly string[] = []): Promise<Cluster> {
  const { schema, url } = freshSchema();
  const args = [...SINK_ALLOWED, '--store', url, '--bus', TEST_NATS, '--lease-time', LEASE, ...extraArgs];
  const dirs: string[] = [];
  const nodes: RunningPlatform[] = [];
  const add = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-cluster-'));
    dirs.push(dataDir);
    if (nodes.length > 0) for (const f of ['token', 'secrets.key']) copyFileSync(join(nodes[0].dataDir, f), join(dataDir, f));
    const node = await startPlatform({ args, dataDir });
    nodes.push(node);
    return node;
  };
  try {
    await add();
    await Promise.all(Array.from({ length: n - 1 }, add));
  } catch (error) {
    for (const node of nodes) node.cleanup();
    throw error;
  }
  return {
    nodes,
    add,
    async close() {
      await Promise.all(nodes.map((node) => (node.proc.exitCode === null && node.proc.signalCode === null ? node.stop() : null)));
      for (const node of nodes) node.cleanup();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      await dropTopicStream(schema);
      await dropSchema(schema);
    },
  };
}

/** Deletes the JetStream stream that carried the cluster's topic events (named after the cluster id kept in its schema). */
async function dropTopicStream(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  let id: string | undefined;
  try {
    id = (await client.query<{ owner: string }>(`SELECT owner FROM ${schema}.leases WHERE name = 'cluster-id'`)).rows[0]?.owner;
  } catch {
    return; // no schema, no cluster
  } finally {
    await client.end();
  }
  if (!id) return;
  const nc = await connect({ servers: new URL(TEST_NATS.split(',')[0]).host });
  try {
    await (await nc.jetstreamManager()).streams.delete(topicStreamName(busNamespace(id))).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** Publishes CloudEvent `e<i>` (source /shop) to `topic` on `node`; false when the node did not take it (it died under it). */
export async function publishEvent(node: RunningPlatform, topic: string, i: number): Promise<boolean> {
  try {
    const res = await node.api(`/api/v1/events/${topic}`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: `e${i}`, source: '/shop', type: 'com.shop.created', data: { i } }),
    });
    return res.status === 202;
  } catch {
    return false;
  }
}
