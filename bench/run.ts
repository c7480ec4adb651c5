/**
 * `npm run bench [-- <scenario>…] [--rounds N] [--duration S] [--warmup S] [--quick]`
 * Runs the named scenarios (default: all), writes bench/results/<scenario>.json and
 * re-renders bench/RESULTS.md with its charts. --quick is a smoke run: short, written to
 * bench/results/quick/ so it never overwrites recorded figures. --render only re-renders.
 */
import { parseArgs } from 'node:util';
import { machineInfo } from './lib/machine.ts';
import { render } from './lib/render.ts';
import { Recorder, readResults, resultsDir, writeResult } from './lib/results.ts';
import type { Settings } from './lib/scenario.ts';
import { scenarios } from './scenarios/index.ts';
import { extraSections } from './lib/sections.ts';

// `npm run bench -- wpt …`: the Web Platform Tests runner (bench/wpt/run.ts, its own
// options), not a load scenario.
if (process.argv[2] === 'wpt') {
  await import('./wpt/run.ts');
  await new Promise(() => undefined); // wpt/run.ts exits the process when done
}
// `npm run bench -- compat …`: the npm compatibility suite (bench/compat/run.ts), not a load scenario.
if (process.argv[2] === 'compat') {
  await import('./compat/run.ts');
  await new Promise(() => undefined); // compat/run.ts exits the process when done
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    quick: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || values.list) {
  console.log('usage: npm run bench -- [scenario…] [--rounds N] [--duration S] [--warmup S] [--quick] [--render]\n');
  for (const sc of scenarios) console.log(`  ${sc.id.padEnd(20)} ${sc.title}`);
  console.log(`\n  ${'wpt'.padEnd(20)} the Web Platform Tests, Nimbus vs workerd (its own options: npm run bench -- wpt --help)`);
  console.log(`  ${'compat'.padEnd(20)} npm packages in Nimbus vs plain Node (npm run bench -- compat --help)`);
  process.exit(0);
}

const unknown = positionals.filter((p) => !scenarios.some((s) => s.id === p));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.id).join(', ')}`);
  process.exit(2);
}

function num(v: string | undefined, def: number, name: string, lo: number, hi: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) {
    console.error(`--${name} must be a number from ${lo} to ${hi}, got ${v}`);
    process.exit(2);
  }
  return n;
}

const quick = values.quick ?? false;
const settings: Settings = {
  rounds: Math.round(num(values.rounds, quick ? 2 : 5, 'rounds', 1, 100)),
  durationSec: num(values.duration, quick ? 1 : 2.5, 'duration', 0.2, 600),
  warmupSec: num(values.warmup, quick ? 0.5 : 1, 'warmup', 0, 600),
  quick,
  log: (m) => console.log(m),
};

const dir = resultsDir(quick);
const markdownFile = quick ? `${dir}RESULTS.md` : new URL('./RESULTS.md', import.meta.url).pathname;
const chartsDir = `${dir}charts`;

const selected = positionals.length > 0 ? scenarios.filter((s) => positionals.includes(s.id)) : scenarios;
let failed = 0;
if (!values.render) {
  const t0 = performance.now();
  for (const sc of selected) {
    console.log(`\n== ${sc.id}: ${sc.title} (${settings.rounds} rounds × ${settings.durationSec}s${quick ? ', quick' : ''})`);
    const rec = new Recorder();
    const machine = machineInfo();
    const startedAt = new Date().toISOString();
    const s0 = performance.now();
    try {
      const out = await sc.run(settings, rec);
      const file = writeResult(
        dir,
        rec.build({
          scenario: sc.id,
          title: sc.title,
          description: sc.description,
          quick,
          startedAt,
          elapsedSec: (performance.now() - s0) / 1000,
          machine,
          settings: { rounds: settings.rounds, durationSec: settings.durationSec, warmupSec: settings.warmupSec, ...out.settings },
          targets: out.targets,
          baseline: out.baseline ?? 'raw-node',
          ...(out.headline ? { headline: out.headline } : {}),
        }),
      );
      console.log(`   wrote ${file}`);
    } catch (e) {
      failed++;
      console.error(`   ${sc.id} FAILED: ${(e as Error).stack ?? e}`);
    }
  }
  console.log(`\nall selected scenarios took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

render({ scenarios, results: readResults(dir), markdownFile, chartsDir, quick, extra: extraSections(dir) });
console.log(`rendered ${markdownFile}`);
process.exit(failed > 0 ? 1 : 0);
