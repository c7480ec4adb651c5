/**
 * The Store on PostgreSQL, for several nodes sharing one database (docs/cluster.md). Opening
 * it connects, migrates the schema under an advisory lock (PG_MIGRATIONS), and refuses a
 * schema newer than this Nimbus knows; a server that cannot be reached is a
 * NIMBUS_ERR_STORE_UNAVAILABLE that names the URL (without its password).
 */
import type { Store } from '../ports.ts';
import { aliasRepo } from './alias-store.ts';
import { functionRepo } from './function-store.ts';
import { invocationRepo } from './invocation-repo.ts';
import { RecordThreadSlot } from '../record-writer-thread.ts';

/** The record writer thread's code (built: dist/pg-record-writer-worker.js, a name of its own beside SQLite's). */
export const PG_RECORD_WORKER = new URL('./pg-record-writer-worker.ts', import.meta.url);
import { migrate } from './migrations.ts';
import { alertRepo, usageRepo } from './observe-store.ts';
import { createPool, isUnreachable, parseTarget, transaction, unreachable, withSessionSetting } from './pg-client.ts';
import { queueRepo } from './queue-store.ts';
import { asyncPolicyRepo, topicRepo, triggerRepo } from './trigger-store.ts';
import { workflowRepo } from './workflow-store.ts';
import { leaseRepo } from './lease-store.ts';
import { nodeRepo } from './node-store.ts';
import { awsKeyRepo, lambdaFactsRepo } from './aws-store.ts';

/**
 * The store URL the record writer thread connects with: its session commits without waiting
 * for the server to flush the commit to disk (`synchronous_commit = off`), the durability
 * SQLite's store has (WAL, synchronous = NORMAL): a node killed loses nothing the server
 * acknowledged; a crash of the server or its host may lose the record batches of its last
 * few hundred milliseconds (3 × `wal_writer_delay` at most), as a power loss may SQLite's last
 * commits. Only record batches (and the usage they add) are written on this session: the
 * queue, the workflow journal, leases and everything else commit on the store's pool with
 * the server's setting, as does a batch written there when the thread is not working.
 */
export function recordWriterUrl(url: string): string {
  return withSessionSetting(url, 'synchronous_commit', 'off');
}

export interface PostgresStoreOptions {
  /** Connections in the pool. */
  readonly maxConnections?: number;
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const target = parseTarget(url);
  const pool = createPool(target, options.maxConnections);
  try {
    await transaction(pool, (sql) => migrate(sql, target.schema));
  } catch (error) {
    await pool.end().catch(() => {});
    throw isUnreachable(error) ? unreachable(target.url, error) : error;
  }
  // The record writer thread connects to the same schema (the URL with its `schema` parameter).
  const records = new RecordThreadSlot(recordWriterUrl(url), PG_RECORD_WORKER);
  const queue = queueRepo(pool);
  return {
    functions: functionRepo(pool),
    aliases: aliasRepo(pool),
    invocations: invocationRepo(pool, records),
    queue,
    triggers: triggerRepo(pool),
    topics: topicRepo(pool),
    asyncPolicies: asyncPolicyRepo(pool),
    workflows: workflowRepo(pool),
    usage: usageRepo(pool),
    alerts: alertRepo(pool),
    leases: leaseRepo(pool),
    nodes: nodeRepo(pool),
    awsKeys: awsKeyRepo(pool),
    lambdaFacts: lambdaFactsRepo(pool),
    async close() {
      await records.close();
      await queue.drained();
      await pool.end();
    },
  };
}
