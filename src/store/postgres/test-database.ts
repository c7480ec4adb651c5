/**
 * PostgreSQL for tests: where it is (NIMBUS_TEST_PG, default the local server), whether
 * it answers, and a store in a schema of its own that closing drops, so every test starts
 * empty and leaves nothing behind. Suites skip with one line when no server answers.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Store } from '../ports.ts';
import { openPostgresStore } from './postgres-store.ts';

export const PG_TEST_URL = process.env.NIMBUS_TEST_PG || 'postgres://postgres@127.0.0.1:5432/test';

/** null when the server answers; else the line a skipped suite shows. */
export async function pgSkipReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch {
    const u = new URL(PG_TEST_URL);
    return `needs PostgreSQL at ${u.host} (NIMBUS_TEST_PG)`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema's name, and the store URL that uses it. */
export function freshSchema(): { schema: string; url: string } {
  const schema = `nimbus_t_${randomBytes(6).toString('hex')}`;
  const u = new URL(PG_TEST_URL);
  u.searchParams.set('schema', schema);
  return { schema, url: u.toString() };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A store in a new schema; its close() drops the schema. */
export async function openFreshStore(): Promise<Store> {
  const { schema, url } = freshSchema();
  const store = await openPostgresStore(url, { maxConnections: 4 });
  return {
    ...store,
    async close() {
      await store.close();
      await dropSchema(schema);
    },
  };
}
