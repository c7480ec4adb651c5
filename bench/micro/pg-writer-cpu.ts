/**
 * CPU a record costs the PostgreSQL record writer alone, for variants of the `invocations`
 * schema side by side: each variant is a schema of its own, migrated by this tree and then
 * changed by the variant's SQL; blocks of hello-like fresh records (prepared beforehand) are
 * written through this tree's writeRecords, the variants in turns (A B B A …). A round reads
 * the CPU of this process (process.cpuUsage: encoding and protocol) and of the variant's
 * backend (/proc/<pg_backend_pid()>/schedstat, its time on a CPU) and reports both per record;
 * and the WAL written per record
 * (pg_current_wal_insert_lsn, so other clients' WAL counts too); the medians over rounds are what to compare.
 *
 *   node --no-node-snapshot --expose-gc --import tsx bench/micro/pg-writer-cpu.ts \
 *     [--variants base,brin] [--batch 120] [--batches 150] [--rounds 6] [--a <checkout>]
 *
 * Variants (VARIANTS below) are SQL run after the migrations; `base` is the schema as
 * migrated; `async-commit` is `base` written with the record writer's session setting
 * (synchronous_commit = off), whose WAL flushes the walwriter does instead: its CPU is shown
 * apart (the server's one walwriter, so other clients' flushes count too). A variant named `a:<variant>` is written and migrated by the checkout --a names
 * (from its source), e.g. `--a /tmp/old --variants a:base,base` compares two trees. The server must be local (its backends' /proc is read). PostgreSQL from
 * NIMBUS_BENCH_PG (default the local `test` database).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { newId } from '../../src/core/ids.ts';
import type { InvocationRecord } from '../../src/core/types.ts';
import { blockOf, type RecordBlock } from '../../src/store/record-block.ts';
import { recordRow } from '../../src/store/record-rows.ts';
import * as repoHere from '../../src/store/postgres/invocation-repo.ts';
import * as migrationsHere from '../../src/store/postgres/migrations.ts';
import { createPool, parseTarget, transaction } from '../../src/store/postgres/pg-client.ts';
import { BENCH_PG } from '../lib/cluster-services.ts';

const VARIANTS: Record<string, string> = {
  base: '',
  'no-start': 'DROP INDEX invocations_by_start',
  brin: 'DROP INDEX invocations_by_start; CREATE INDEX invocations_by_start ON invocations USING brin (started_at)',
  'no-fn': 'DROP INDEX invocations_by_function',
  'pk-only': 'DROP INDEX invocations_by_start; DROP INDEX invocations_by_function',
  'async-commit': '',
  heap: 'DROP INDEX invocations_by_start; DROP INDEX invocations_by_function; ALTER TABLE invocations DROP CONSTRAINT invocations_pkey',
};

const { values: opts } = parseArgs({
  options: {
    variants: { type: 'string', default: 'base,brin' },
    batch: { type: 'string', default: '120' },
    batches: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '6' },
    a: { type: 'string' },
  },
});

/** A tree's writer and migrations: this one, or for a variant named `a:…`, the checkout --a names (run from its source). */
interface Tree { writeRecords: typeof repoHere.writeRecords; migrate: typeof migrationsHere.migrate }
const here: Tree = { writeRecords: repoHere.writeRecords, migrate: migrationsHere.migrate };
const other: Tree | null = opts.a
  ? {
      writeRecords: (await import(resolve(opts.a, 'src/store/postgres/invocation-repo.ts'))).writeRecords,
      migrate: (await import(resolve(opts.a, 'src/store/postgres/migrations.ts'))).migrate,
    }
  : null;
function treeOf(variant: string): Tree {
  if (!variant.startsWith('a:')) return here;
  if (other === null) throw new Error(`variant ${variant} needs --a <checkout>`);
  return other;
}
const schemaSql = (variant: string) => VARIANTS[variant.replace(/^a:/, '')];
/** Settings of a variant's session (on its one connection, kept open throughout). */
const SESSION: Record<string, string> = { 'async-commit': 'SET synchronous_commit = off' };
const names = opts.variants.split(',');
for (const n of names) if (schemaSql(n) === undefined) throw new Error(`unknown variant ${n} (${Object.keys(VARIANTS).join(', ')})`);
const perBatch = Number(opts.batch);
const batches = Number(opts.batches);
const rounds = Number(opts.rounds);

/** Time a process has run on a CPU, ms (/proc/<pid>/schedstat: nanoseconds, unlike stat's 10 ms ticks). */
function cpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

let clock = Date.now();
function helloRecord(): InvocationRecord {
  const startedAt = (clock += 0.05);
  const hex = (n: number) => newId(startedAt).replace(/[^0-9a-f]/g, '0').padEnd(n, '0').slice(0, n);
  return {
    id: newId(startedAt), functionName: 'hello', version: 1, alias: null, trigger: 'http', triggerSource: 'GET /fn/hello',
    startedAt: Math.floor(startedAt), durationMs: 0.21, billedMs: 1, memoryMb: 128, status: 'success', statusCode: 200,
    errorCode: null, errorName: null, errorMessage: null, coldStart: false, initMs: 0, instanceId: 'hello-1-abc123',
    requestBytes: 0, responseBytes: 12, attempt: 1, logs: [], logsTruncated: false, cpuMs: 0.043, peakMemoryBytes: 2_345_678,
    occupancyMs: 0.19, traceId: hex(32), spanId: hex(16), parentSpanId: null,
  } as unknown as InvocationRecord;
}

const blocks = (): RecordBlock[] => Array.from({ length: batches }, () => blockOf(Array.from({ length: perBatch }, () => recordRow(helloRecord()))));

interface Variant { name: string; tree: Tree; schema: string; pool: pg.Pool; backend: number; own: number[]; server: number[]; walwriter: number[]; wal: number[] }

async function open(name: string): Promise<Variant> {
  const schema = `nimbus_wcpu_${name.replace(/[^a-z]/g, '_')}_${process.pid}`;
  const tree = treeOf(name);
  const pool = createPool(parseTarget(`${BENCH_PG}${BENCH_PG.includes('?') ? '&' : '?'}schema=${schema}`), 1);
  (pool as unknown as { options: { idleTimeoutMillis: number } }).options.idleTimeoutMillis = 0; // one backend throughout
  await transaction(pool, async (sql) => {
    await tree.migrate(sql, schema);
    if (schemaSql(name)) await sql.query(schemaSql(name));
  });
  const backend = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  const session = SESSION[name.replace(/^a:/, '')];
  if (session) await pool.query(session);
  return { name, tree, schema, pool, backend, own: [], server: [], walwriter: [], wal: [] };
}

/** Where the server's WAL is written to, in bytes (the WAL of other clients of the server counts too). */
async function walBytes(pool: pg.Pool): Promise<number> {
  return Number((await pool.query(`SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS b`)).rows[0].b);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const variants: Variant[] = [];
try {
  for (const n of names) variants.push(await open(n));
  // One warm-up round each (first pages, plans, caches), not counted.
  for (const v of variants) for (const b of blocks().slice(0, 20)) await v.tree.writeRecords(v.pool, b, 'fresh');
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const work = blocks();
      v.backend = (await v.pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      (globalThis as { gc?: () => void }).gc?.(); // the garbage of preparing the blocks is not the writer's
      const wal0 = await walBytes(v.pool);
      const own0 = process.cpuUsage();
      const walwriter = (await v.pool.query(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'`)).rows[0].pid as number;
      const walwriter0 = cpuMs(walwriter);
      const server0 = cpuMs(v.backend);
      for (const b of work) await v.tree.writeRecords(v.pool, b, 'fresh');
      const own = process.cpuUsage(own0);
      const wal = (await walBytes(v.pool)) - wal0;
      const records = batches * perBatch;
      v.own.push(((own.user + own.system) / records));
      v.server.push(((cpuMs(v.backend) - server0) * 1000) / records);
      v.walwriter.push(((cpuMs(walwriter) - walwriter0) * 1000) / records);
      v.wal.push(wal / records);
    }
  }
  console.log(`${batches} batches of ${perBatch} records a round, ${rounds} rounds; µs of CPU a record, median (min–max)`);
  for (const v of variants) {
    const fmt = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
    console.log(`${v.name.padEnd(10)} this process ${fmt(v.own)}   backend ${fmt(v.server)}   walwriter ${fmt(v.walwriter)}   WAL bytes ${median(v.wal).toFixed(0)}`);
  }
} finally {
  for (const v of variants) {
    await v.pool.query(`DROP SCHEMA IF EXISTS ${v.schema} CASCADE`).catch(() => {});
    await v.pool.end();
  }
}
