/**
 * Warm hello with the state in PostgreSQL against the same in SQLite: the hot path should
 * not touch the store, so the goal is ≥ 0.9x. Two Nimbus servers side by side, loaded in
 * turns; the baseline is Nimbus on SQLite (the default).
 */
import { helloSource } from '../lib/functions.ts';
import { benchSchema, servicesMissing } from '../lib/cluster-services.ts';
import { interleavedLoad } from '../lib/rounds.ts';
import type { TargetInfo } from '../lib/results.ts';
import type { Scenario } from '../lib/scenario.ts';
import type { NimbusTarget } from '../targets/nimbus.ts';
import { nimbusWith, sameAnswers, stopAll } from './common.ts';

const SQLITE: TargetInfo = { id: 'nimbus-sqlite', label: 'Nimbus on SQLite (default)', description: 'The embedded SQLite store in the data directory.' };
const POSTGRES: TargetInfo = { id: 'nimbus-postgres', label: 'Nimbus on PostgreSQL', description: 'The same platform with `--store postgres://…` (a schema of its own on the local server).' };

export const storePostgres: Scenario = {
  id: 'store-postgres',
  title: 'Warm hello: PostgreSQL store vs SQLite',
  description:
    'The warm hello load (GET, 50 connections) against two Nimbus servers started side by side, one on the embedded ' +
    'SQLite store, one on PostgreSQL (`--store`, local server). Invocation records are written in batches off the hot path ' +
    'by both; the ratio column is against SQLite (goal ≥ 0.9x).',
  async run(s, rec) {
    const started: Array<NimbusTarget | null> = [];
    const schema = benchSchema();
    try {
      const missing = await servicesMissing(false);
      const sqlite = await nimbusWith(s, rec, 'all figures', { hello: helloSource() });
      started.push(sqlite ? { ...sqlite, info: SQLITE } : null);
      if (missing) {
        rec.skip(POSTGRES.id, 'all figures', missing);
      } else {
        const pgNode = await nimbusWith(s, rec, 'PostgreSQL', { hello: helloSource() }, undefined, { extraArgs: ['--store', schema.url] });
        started.push(pgNode ? { ...pgNode, info: POSTGRES } : null);
      }
      const running = await sameAnswers(s, rec, 'all figures', started.filter((t): t is NimbusTarget => t !== null), { name: 'hello' });
      await interleavedLoad(
        s,
        rec,
        running.map((t) => ({ info: t.info, baseUrl: t.baseUrl, requests: [{ path: t.fnPath('hello') }], memory: () => t.memory(), pid: t.pid })),
        { connections: 50 },
      );
      return { targets: running.map((t) => t.info), settings: { connections: 50 }, baseline: SQLITE.id };
    } finally {
      await stopAll(started);
      if (!(await servicesMissing(false))) await schema.drop().catch(() => {});
    }
  },
};
