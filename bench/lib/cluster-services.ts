/**
 * The services a cluster benchmark needs: PostgreSQL (NIMBUS_BENCH_PG, default the local
 * server's `test` database) in a schema of its own, dropped afterwards, and NATS
 * (NIMBUS_BENCH_NATS). Whether each answers, so a scenario records "not measured" instead.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { connect } from 'nats';
import pg from 'pg';

export const BENCH_PG = process.env.NIMBUS_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const BENCH_NATS = process.env.NIMBUS_BENCH_NATS ?? 'nats://127.0.0.1:4222';

/** Why PostgreSQL (and, when `nats`, NATS) cannot be used, or null. */
export async function servicesMissing(nats: boolean): Promise<string | null> {
  const client = new pg.Client({ connectionString: BENCH_PG, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return `no PostgreSQL at ${new URL(BENCH_PG).host} (NIMBUS_BENCH_PG)`;
  } finally {
    await client.end().catch(() => {});
  }
  if (!nats) return null;
  const u = new URL(BENCH_NATS);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: u.hostname, port: Number(u.port || 4222), timeout: 1000 });
    socket.once('data', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
  return ok ? null : `no NATS at ${u.host} (NIMBUS_BENCH_NATS)`;
}

/** A store URL in a new schema, and the function that drops it. */
export function benchSchema(): { url: string; drop: () => Promise<void> } {
  const schema = `nimbus_bench_${randomBytes(5).toString('hex')}`;
  const u = new URL(BENCH_PG);
  u.searchParams.set('schema', schema);
  return {
    url: u.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: BENCH_PG });
      await client.connect();
      let clusterId: string | undefined;
      try {
        // The cluster's JetStream stream of topic events is named after its id (docs/cluster.md): it goes too.
        clusterId = (await client.query<{ owner: string }>(`SELECT owner FROM ${schema}.leases WHERE name = 'cluster-id'`).catch(() => ({ rows: [] as { owner: string }[] }))).rows[0]?.owner;
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
      if (clusterId) await dropTopicStream(`nimbus_${clusterId}_topics`).catch(() => {});
    },
  };
}

async function dropTopicStream(name: string): Promise<void> {
  const nc = await connect({ servers: new URL(BENCH_NATS).host, timeout: 2000 });
  try {
    await (await nc.jetstreamManager()).streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}
