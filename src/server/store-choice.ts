/** The store the platform keeps its state in, chosen from the config. Concrete adapters are picked here only. */
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import type { Store } from '../store/ports.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';

/**
 * PostgreSQL when `--store` names a server, else the embedded SQLite file in the data
 * directory. The PostgreSQL adapter (and `pg`) is loaded only when chosen.
 */
export async function openConfiguredStore(config: Pick<Config, 'store' | 'dataDir'>): Promise<Store> {
  if (config.store !== '') return (await import('../store/postgres/postgres-store.ts')).openPostgresStore(config.store);
  return openSqliteStore(join(config.dataDir, 'nimbus.db'));
}

/** What the log says about the store: its kind, and where (a URL without its password). */
export function storeDescription(config: Pick<Config, 'store' | 'dataDir'>): string {
  if (config.store === '') return `sqlite ${join(config.dataDir, 'nimbus.db')}`;
  const u = new URL(config.store);
  if (u.password) u.password = '***';
  return `postgres ${u.toString()}`;
}
