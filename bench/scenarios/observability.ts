/**
 * Observability on vs off: the warm hello load against two Nimbus servers, one as
 * shipped (a record per invocation, logs, metrics) and one with observability switched
 * off, plus raw node as the floor. The switch is found in the flags `nimbus up` knows,
 * or given explicitly as NIMBUS_BENCH_OBS_OFF="--flag value …".
 */
import { execFileSync } from 'node:child_process';
import { helloSource } from '../lib/functions.ts';
import { interleavedLoad } from '../lib/rounds.ts';
import type { TargetInfo } from '../lib/results.ts';
import type { Scenario } from '../lib/scenario.ts';
import { nimbusMissing, type NimbusTarget } from '../targets/nimbus.ts';
import { startRaw } from '../targets/raw-node.ts';
import { RAW, type HttpTarget } from '../targets/types.ts';
import { attempt, nimbusWith, sameAnswers, stopAll } from './common.ts';

const ON: TargetInfo = { id: 'nimbus-obs-on', label: 'Nimbus, observability on (default)', description: 'Nimbus as shipped: one invocation record per call, logs, metrics.' };
const OFF: TargetInfo = { id: 'nimbus-obs-off', label: 'Nimbus, observability off', description: 'Nimbus started with its observability switch off.' };
const root = new URL('../../', import.meta.url).pathname;

/** The arguments that turn observability off, or the reason none could be found. */
export function observabilityOffArgs(): string[] | string {
  const explicit = process.env.NIMBUS_BENCH_OBS_OFF;
  if (explicit) return explicit.split(/\s+/).filter(Boolean);
  let text = '';
  try {
    text = execFileSync(process.execPath, ['bin/nimbus.mjs', 'up', '--help'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    text = `${err.stdout ?? ''}\n${err.stderr ?? ''}`;
  }
  const flags = [...new Set(text.match(/--[a-z][a-z-]*/g) ?? [])];
  const flag = flags.find((f) => /observ|telemetry|records?$/.test(f));
  if (!flag) return '`nimbus up` has no flag to switch observability off yet (none matching observ/telemetry/records among its flags); set NIMBUS_BENCH_OBS_OFF to name one';
  return flag.startsWith('--no-') ? [flag] : [`--no-${flag.slice(2)}`];
}

export const observability: Scenario = {
  id: 'observability',
  title: 'Observability on vs off',
  description:
    'The warm hello load (GET, 50 connections) against two Nimbus servers started side by side: one as shipped ' +
    '(an invocation record per call, batched off the hot path), one with observability switched off; raw node:http ' +
    'as the floor. The ratio column here is against "observability off": it is the price of observability.',
  async run(s, rec) {
    const started: Array<HttpTarget | null> = [];
    try {
      const raw = await attempt(s, rec, RAW, 'all figures', () => startRaw());
      started.push(raw);
      const offArgs = nimbusMissing() ? nimbusMissing()! : observabilityOffArgs();
      const on = await nimbusWith(s, rec, 'all figures', { hello: helloSource() });
      const onT: NimbusTarget | null = on ? { ...on, info: ON } : null;
      if (!on) rec.skip(ON.id, 'all figures', 'Nimbus did not start (see the nimbus line)');
      started.push(onT);
      let offT: NimbusTarget | null = null;
      if (typeof offArgs === 'string') {
        rec.skip(OFF.id, 'all figures', offArgs);
        s.log(`  ${OFF.id}: not measured: ${offArgs}`);
      } else {
        const off = await nimbusWith(s, rec, 'observability off', { hello: helloSource() }, undefined, { extraArgs: offArgs });
        offT = off ? { ...off, info: OFF } : null;
        started.push(offT);
      }
      if (!offT) rec.note('With observability off not measured, ratios in this table are against raw node:http instead.');
      const running = await sameAnswers(s, rec, 'all figures', [raw, onT, offT].filter((t): t is HttpTarget => t !== null), { name: 'hello' });
      await interleavedLoad(
        s,
        rec,
        running.map((t) => ({ info: t.info, baseUrl: t.baseUrl, requests: [{ path: t.fnPath('hello') }], memory: () => t.memory(), pid: t.pid })),
        { connections: 50 },
      );
      return {
        targets: running.map((t) => t.info),
        settings: { connections: 50, offArgs: typeof offArgs === 'string' ? 'none found' : offArgs.join(' ') },
        baseline: running.some((t) => t.info.id === OFF.id) ? OFF.id : RAW.id,
      };
    } finally {
      await stopAll(started);
    }
  },
};
