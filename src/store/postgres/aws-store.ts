/** The AWS layer's access keys and Lambda facts on PostgreSQL (aws-ports.ts). */
import type pg from 'pg';
import type { AwsKeyRepo, AwsKeyRow, LambdaFacts, LambdaFactsRepo } from '../aws-ports.ts';
import { transaction } from './pg-client.ts';

const toKey = (r: Record<string, unknown>): AwsKeyRow => ({
  accessKeyId: r.access_key_id as string,
  createdAt: Number(r.created_at),
  description: r.description as string,
  sealedSecret: r.sealed_secret as string,
});

export function awsKeyRepo(pool: pg.Pool): AwsKeyRepo {
  return {
    async insert(k) {
      const { rowCount } = await pool.query(
        'INSERT INTO aws_keys (access_key_id, created_at, description, sealed_secret) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [k.accessKeyId, k.createdAt, k.description, k.sealedSecret],
      );
      return (rowCount ?? 0) > 0;
    },
    async get(id) {
      const { rows } = await pool.query('SELECT * FROM aws_keys WHERE access_key_id = $1', [id]);
      return rows.length > 0 ? toKey(rows[0]) : null;
    },
    async list() {
      return (await pool.query('SELECT * FROM aws_keys ORDER BY created_at, access_key_id')).rows.map(toKey);
    },
    async delete(id) {
      return ((await pool.query('DELETE FROM aws_keys WHERE access_key_id = $1', [id])).rowCount ?? 0) > 0;
    },
  };
}

export function lambdaFactsRepo(pool: pg.Pool): LambdaFactsRepo {
  return {
    async get(name) {
      const { rows } = await pool.query('SELECT facts FROM lambda_facts WHERE function_name = $1', [name]);
      return rows.length > 0 ? (JSON.parse(rows[0].facts as string) as LambdaFacts) : null;
    },
    async all() {
      const { rows } = await pool.query('SELECT function_name, facts FROM lambda_facts ORDER BY function_name');
      return new Map(rows.map((r) => [r.function_name as string, JSON.parse(r.facts as string) as LambdaFacts]));
    },
    update: (name, next) =>
      transaction(pool, async (sql) => {
        // The row exists first, so that FOR UPDATE has something to lock even for a function without facts.
        const created = ((await sql.query(`INSERT INTO lambda_facts (function_name, facts) VALUES ($1, '') ON CONFLICT DO NOTHING`, [name])).rowCount ?? 0) > 0;
        const { rows } = await sql.query('SELECT facts FROM lambda_facts WHERE function_name = $1 FOR UPDATE', [name]);
        const facts = next(created ? null : (JSON.parse(rows[0].facts as string) as LambdaFacts));
        await sql.query('UPDATE lambda_facts SET facts = $2 WHERE function_name = $1', [name, JSON.stringify(facts)]);
        return facts;
      }),
    async putIfAbsent(name, facts) {
      const { rowCount } = await pool.query('INSERT INTO lambda_facts (function_name, facts) VALUES ($1, $2) ON CONFLICT DO NOTHING', [name, JSON.stringify(facts)]);
      return (rowCount ?? 0) > 0;
    },
    async delete(name) {
      return ((await pool.query('DELETE FROM lambda_facts WHERE function_name = $1', [name])).rowCount ?? 0) > 0;
    },
  };
}
