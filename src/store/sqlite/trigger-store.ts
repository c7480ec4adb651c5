/** Timer/event triggers, topics and per-function async policies on SQLite. */
import type Database from 'better-sqlite3';
import type { AsyncPolicyRepo, TopicRepo, TriggerInput, TriggerQuery, TriggerRecord, TriggerRepo } from '../queue-ports.ts';
import { jsonColumn, matchDeclared, toTopic, toTrigger } from '../queue-rows.ts';
import type { Row } from '../row.ts';
import { filteredSelect } from './filtered-select.ts';

export function triggerRepo(db: Database.Database): TriggerRepo {
  const insert = db.prepare(`INSERT INTO triggers (id, function_name, workflow, kind, origin, schedule, timezone, missed, topic, filter, input, created_at, last_fired_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`);
  const getOne = db.prepare('SELECT * FROM triggers WHERE id = ?');
  const del = db.prepare('DELETE FROM triggers WHERE id = ?');
  const delFn = db.prepare('DELETE FROM triggers WHERE function_name = ?');
  const delFnOrigin = db.prepare('DELETE FROM triggers WHERE function_name = ? AND origin = ?');
  const declared = db.prepare(`SELECT * FROM triggers WHERE function_name = ? AND origin = 'deploy' ORDER BY created_at, rowid`);
  const fired = db.prepare('UPDATE triggers SET last_fired_at = ? WHERE id = ? AND (last_fired_at IS NULL OR last_fired_at < ?)');
  const select = filteredSelect(db);

  const create = (t: TriggerInput): TriggerRecord => {
    insert.run(t.id, t.functionName, t.workflow ?? null, t.kind, t.origin, t.schedule ?? null, t.timezone ?? null, t.missed ?? null, t.topic ?? null, jsonColumn(t.filter), jsonColumn(t.input), t.createdAt);
    return toTrigger(getOne.get(t.id) as Row);
  };

  const replaceTx = db.transaction((functionName: string, inputs: readonly TriggerInput[]): TriggerRecord[] => {
    const { kept, gone } = matchDeclared((declared.all(functionName) as Row[]).map(toTrigger), inputs);
    const out = inputs.map((input, i) => kept[i] ?? create(input));
    for (const id of gone) del.run(id);
    return out;
  });

  return {
    async create(input) {
      return create(input);
    },
    async get(id) {
      const row = getOne.get(id) as Row | undefined;
      return row ? toTrigger(row) : null;
    },
    async list(q: TriggerQuery = {}) {
      const { stmt, args } = select(
        'SELECT * FROM triggers',
        [
          q.functionName !== undefined && ['function_name = ?', q.functionName],
          q.workflow !== undefined && ['workflow = ?', q.workflow],
          q.kind !== undefined && ['kind = ?', q.kind],
          q.topic !== undefined && ['topic = ?', q.topic],
        ],
        'ORDER BY created_at, rowid',
      );
      return (stmt.all(...args) as Row[]).map(toTrigger);
    },
    async delete(id) {
      return del.run(id).changes > 0;
    },
    async deleteForFunction(functionName, origin) {
      return origin === undefined ? delFn.run(functionName).changes : delFnOrigin.run(functionName, origin).changes;
    },
    async replaceDeclared(functionName, inputs) {
      return replaceTx.immediate(functionName, inputs);
    },
    async setLastFiredAt(id, at) {
      fired.run(at, id, at);
    },
  };
}

export function topicRepo(db: Database.Database): TopicRepo {
  const insert = db.prepare('INSERT OR IGNORE INTO topics (name, created_at) VALUES (?, ?)');
  const getOne = db.prepare('SELECT * FROM topics WHERE name = ?');
  const list = db.prepare('SELECT * FROM topics ORDER BY name');
  const del = db.prepare('DELETE FROM topics WHERE name = ?');
  return {
    async create(name, now) {
      return insert.run(name, now).changes > 0;
    },
    async get(name) {
      const row = getOne.get(name) as Row | undefined;
      return row ? toTopic(row) : null;
    },
    async list() {
      return (list.all() as Row[]).map(toTopic);
    },
    async delete(name) {
      return del.run(name).changes > 0;
    },
  };
}

export function asyncPolicyRepo(db: Database.Database): AsyncPolicyRepo {
  const getOne = db.prepare('SELECT * FROM async_policies WHERE function_name = ?');
  const put = db.prepare(
    'INSERT INTO async_policies (function_name, policy, updated_at) VALUES (?, ?, ?) ON CONFLICT(function_name) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at',
  );
  const del = db.prepare('DELETE FROM async_policies WHERE function_name = ?');
  return {
    async get(functionName) {
      const row = getOne.get(functionName) as Row | undefined;
      return row ? { functionName, policy: JSON.parse(row.policy as string), updatedAt: row.updated_at as number } : null;
    },
    async put(functionName, policy, now) {
      put.run(functionName, JSON.stringify(policy), now);
    },
    async delete(functionName) {
      return del.run(functionName).changes > 0;
    },
  };
}
