/** The AWS layer's access keys and Lambda facts on SQLite (aws-ports.ts). */
import type Database from 'better-sqlite3';
import type { AwsKeyRepo, AwsKeyRow, LambdaFacts, LambdaFactsRepo } from '../aws-ports.ts';
import type { Row } from '../row.ts';

const toKey = (r: Row): AwsKeyRow => ({
  accessKeyId: r.access_key_id as string,
  createdAt: Number(r.created_at),
  description: r.description as string,
  sealedSecret: r.sealed_secret as string,
});

export function awsKeyRepo(db: Database.Database): AwsKeyRepo {
  const insert = db.prepare('INSERT INTO aws_keys (access_key_id, created_at, description, sealed_secret) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const get = db.prepare('SELECT * FROM aws_keys WHERE access_key_id = ?');
  const list = db.prepare('SELECT * FROM aws_keys ORDER BY created_at, access_key_id');
  const remove = db.prepare('DELETE FROM aws_keys WHERE access_key_id = ?');
  return {
    async insert(k) {
      return insert.run(k.accessKeyId, k.createdAt, k.description, k.sealedSecret).changes > 0;
    },
    async get(id) {
      const row = get.get(id) as Row | undefined;
      return row ? toKey(row) : null;
    },
    async list() {
      return (list.all() as Row[]).map(toKey);
    },
    async delete(id) {
      return remove.run(id).changes > 0;
    },
  };
}

export function lambdaFactsRepo(db: Database.Database): LambdaFactsRepo {
  const get = db.prepare('SELECT facts FROM lambda_facts WHERE function_name = ?').pluck();
  const all = db.prepare('SELECT function_name, facts FROM lambda_facts ORDER BY function_name');
  const put = db.prepare('INSERT INTO lambda_facts (function_name, facts) VALUES (?, ?) ON CONFLICT(function_name) DO UPDATE SET facts = excluded.facts');
  const putIfAbsent = db.prepare('INSERT INTO lambda_facts (function_name, facts) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const remove = db.prepare('DELETE FROM lambda_facts WHERE function_name = ?');
  // better-sqlite3 is synchronous: read and write in one transaction leave no gap between them.
  const update = db.transaction((name: string, next: (current: LambdaFacts | null) => LambdaFacts): LambdaFacts => {
    const text = get.get(name) as string | undefined;
    const facts = next(text === undefined ? null : (JSON.parse(text) as LambdaFacts));
    put.run(name, JSON.stringify(facts));
    return facts;
  });
  return {
    async get(name) {
      const text = get.get(name) as string | undefined;
      return text === undefined ? null : (JSON.parse(text) as LambdaFacts);
    },
    async all() {
      return new Map((all.all() as Row[]).map((r) => [r.function_name as string, JSON.parse(r.facts as string) as LambdaFacts]));
    },
    async update(name, next) {
      return update(name, next);
    },
    async putIfAbsent(name, facts) {
      return putIfAbsent.run(name, JSON.stringify(facts)).changes > 0;
    },
    async delete(name) {
      return remove.run(name).changes > 0;
    },
  };
}
