/**
 * The embedded Store: one SQLite file in the data directory (better-sqlite3, WAL).
 * Statements are prepared once at open; deploys run in IMMEDIATE transactions so
 * concurrent deploys of one function serialise into consecutive versions.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { NimbusError } from '../../core/errors.ts';
import type { FunctionVersion } from '../../core/types.ts';
import { toInfo, toVersion } from '../function-rows.ts';
import type { Row } from '../row.ts';
import type { DeployInput, DeployOutcome, FunctionRepo, ScaleOverride, Store } from '../ports.ts';
import { MIGRATIONS } from './migrations.ts';
import { aliasRepo } from './alias-store.ts';
import { alertRepo, usageRepo } from './observe-store.ts';
import { queueRepo } from './queue-store.ts';
import { invocationRepo } from './invocation-repo.ts';
import { RecordThreadSlot } from '../record-writer-thread.ts';
import { asyncPolicyRepo, topicRepo, triggerRepo } from './trigger-store.ts';
import { workflowRepo } from './workflow-store.ts';
import { leaseRepo } from './lease-store.ts';
import { nodeRepo } from './node-store.ts';
import { awsKeyRepo, lambdaFactsRepo } from './aws-store.ts';

/** The record writer thread's code (built: dist/record-writer-worker.js). */
export const SQLITE_RECORD_WORKER = new URL('./record-writer-worker.ts', import.meta.url);

export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (error) {
    if (error instanceof NimbusError) throw error;
    throw new NimbusError('NIMBUS_ERR_INTERNAL', `cannot open the store at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // A file can be shared with a writer thread (started at the first write); an in-memory database cannot.
  const records = new RecordThreadSlot(path === ':memory:' ? null : path, SQLITE_RECORD_WORKER);
  // Group commits still queued are committed before the connection closes.
  const beforeClose: Array<() => void> = [];
  return {
    functions: functionRepo(db),
    aliases: aliasRepo(db),
    invocations: invocationRepo(db, records),
    queue: queueRepo(db, beforeClose),
    triggers: triggerRepo(db),
    topics: topicRepo(db),
    asyncPolicies: asyncPolicyRepo(db),
    workflows: workflowRepo(db, beforeClose),
    usage: usageRepo(db),
    alerts: alertRepo(db),
    leases: leaseRepo(),
    nodes: nodeRepo(),
    awsKeys: awsKeyRepo(db),
    lambdaFacts: lambdaFactsRepo(db),
    async close() {
      if (db.open) for (const flush of beforeClose) flush();
      await records.close();
      if (db.open) db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    db.close();
    throw new NimbusError('NIMBUS_ERR_STORE_SCHEMA_NEWER', `the store is at schema ${current}, newer than this Nimbus (${MIGRATIONS.length}); upgrade Nimbus`);
  }
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}

function functionRepo(db: Database.Database): FunctionRepo {
  const VERSION_COLUMNS = 'v.function_name, v.version, v.hash, v.code_hash, v.config, v.exports, v.created_at, c.bytes';
  const getFn = db.prepare('SELECT * FROM functions WHERE name = ?');
  const listFns = db.prepare('SELECT * FROM functions ORDER BY name');
  const getVer = db.prepare(
    `SELECT ${VERSION_COLUMNS} FROM versions v JOIN code c ON c.hash = v.code_hash WHERE v.function_name = ? AND v.version = ?`,
  );
  const listVers = db.prepare(
    `SELECT ${VERSION_COLUMNS} FROM versions v JOIN code c ON c.hash = v.code_hash WHERE v.function_name = ? ORDER BY v.version DESC`,
  );
  const currentHash = db.prepare(
    'SELECT v.hash, f.current_version FROM functions f JOIN versions v ON v.function_name = f.name AND v.version = f.current_version WHERE f.name = ?',
  );
  const maxVersion = db.prepare('SELECT MAX(version) AS v FROM versions WHERE function_name = ?');
  const insertCode = db.prepare('INSERT OR IGNORE INTO code (hash, body, bytes) VALUES (?, ?, ?)');
  const insertFn = db.prepare(
    'INSERT INTO functions (name, current_version, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET current_version = excluded.current_version, updated_at = excluded.updated_at',
  );
  const insertVer = db.prepare(
    'INSERT INTO versions (function_name, version, hash, code_hash, config, exports, created_at, source_map, secrets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const getSecrets = db.prepare('SELECT secrets FROM versions WHERE function_name = ? AND version = ?').pluck();
  const getCode = db.prepare('SELECT body FROM code WHERE hash = ?');
  const getSourceMap = db.prepare('SELECT source_map FROM versions WHERE function_name = ? AND version = ?').pluck();
  const deleteFn = db.prepare('DELETE FROM functions WHERE name = ?');
  const deleteVersions = db.prepare('DELETE FROM versions WHERE function_name = ?');
  const deleteOrphanCode = db.prepare('DELETE FROM code WHERE hash NOT IN (SELECT code_hash FROM versions)');
  const getScale = db.prepare('SELECT settings FROM scale_overrides WHERE function_name = ?');
  const putScale = db.prepare(
    'INSERT INTO scale_overrides (function_name, settings, updated_at) VALUES (?, ?, ?) ON CONFLICT(function_name) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at',
  );
  const deleteScale = db.prepare('DELETE FROM scale_overrides WHERE function_name = ?');

  const deployTx = db.transaction((input: DeployInput): DeployOutcome => {
    const current = currentHash.get(input.name) as { hash: string; current_version: number } | undefined;
    deleteScale.run(input.name);
    if (current && current.hash === input.hash) {
      return { version: toVersion(getVer.get(input.name, current.current_version) as Row), created: false };
    }
    const next = (((maxVersion.get(input.name) as { v: number | null }).v ?? 0) as number) + 1;
    insertCode.run(input.codeHash, input.code, Buffer.byteLength(input.code));
    insertFn.run(input.name, next, input.now, input.now);
    insertVer.run(input.name, next, input.hash, input.codeHash, JSON.stringify(input.config), JSON.stringify(input.exports), input.now, input.sourceMap,
      input.secrets && Object.keys(input.secrets).length > 0 ? JSON.stringify(input.secrets) : null);
    return { version: toVersion(getVer.get(input.name, next) as Row), created: true };
  });

  const deleteTx = db.transaction((name: string): boolean => {
    deleteScale.run(name);
    deleteVersions.run(name);
    const changed = deleteFn.run(name).changes > 0;
    deleteOrphanCode.run();
    return changed;
  });

  return {
    async deploy(input) {
      return deployTx.immediate(input);
    },
    async get(name) {
      const row = getFn.get(name) as Row | undefined;
      return row ? toInfo(row) : null;
    },
    async list() {
      return (listFns.all() as Row[]).map(toInfo);
    },
    async getVersion(name, version) {
      const row = getVer.get(name, version) as Row | undefined;
      return row ? toVersion(row) : null;
    },
    async listVersions(name) {
      return (listVers.all(name) as Row[]).map(toVersion);
    },
    async getCode(hash) {
      const row = getCode.get(hash) as { body: string } | undefined;
      return row ? row.body : null;
    },
    async getSourceMap(name, version) {
      return (getSourceMap.get(name, version) as string | null | undefined) ?? null;
    },
    async getSecrets(name, version) {
      const text = getSecrets.get(name, version) as string | null | undefined;
      return text ? (JSON.parse(text) as Record<string, string>) : {};
    },
    async delete(name) {
      return deleteTx.immediate(name);
    },
    async getScale(name) {
      const row = getScale.get(name) as { settings: string } | undefined;
      return row ? (JSON.parse(row.settings) as ScaleOverride) : null;
    },
    async setScale(name, override, now) {
      if (!getFn.get(name)) return false;
      if (override === null || Object.keys(override).length === 0) deleteScale.run(name);
      else putScale.run(name, JSON.stringify(override), now);
      return true;
    },
  };
}
