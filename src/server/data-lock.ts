/**
 * One platform per data directory. Two on the same store would both run the async
 * consumers, timers and workflow recovery against it, and take turns owning the CLI's
 * `url` file. The lock is SQLite's own exclusive lock on `<data>/lock` (an OS file lock):
 * the operating system drops it when the process dies, kill -9 included, so there is never
 * a stale lock to clean up by hand.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { NimbusError } from '../core/errors.ts';

export const LOCK_FILE = 'lock';

/** Takes the data directory's lock; the returned function releases it. */
export function lockDataDir(dataDir: string): () => void {
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new NimbusError(
        'NIMBUS_ERR_DATA_DIR_IN_USE',
        `another Nimbus platform is running on the data directory ${dataDir}; stop it first, or start this one with another --data (NIMBUS_DATA)`,
      );
    }
    throw error;
  }
  return () => {
    if (db.open) db.close();
  };
}
