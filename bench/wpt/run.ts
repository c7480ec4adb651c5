/**
 * `npm run bench -- wpt [dir…] [--only nimbus|workerd] [--timeout S] [--jobs N]` or
 * `node --no-node-snapshot --import tsx bench/wpt/run.ts …`
 *
 * Runs the `.any.js` Web Platform Tests of issue #16's directories in real Nimbus
 * instances and in workerd, on the same files, and writes bench/results/wpt/summary.json
 * (per-directory table), bench/results/wpt/files.json (per-file outcome and the subtests
 * that differ, for developers) and bench/results/wpt/table.md (the table RESULTS.md shows).
 * WPT is read from a copy outside the repository: WPT_DIR, default /work/wpt.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DIRECTORIES, buildModule, findTests, testName, type TestFile } from './collect.ts';
import { nimbusRuntime, workerdRuntime, type Outcome, type Runtime } from './targets.ts';
import { eachAtOnce } from '../lib/jobs.ts';
import { render } from '../lib/render.ts';
import { readResults, resultsDir } from '../lib/results.ts';
import { scenarios } from '../scenarios/index.ts';
import { extraSections } from '../lib/sections.ts';
import { fileDiff, summarise, tableMarkdown, type FileResult, type Summary } from './report.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    only: { type: 'string' },
    timeout: { type: 'string', default: '20' },
    jobs: { type: 'string', default: '2' },
    out: { type: 'string' },
    render: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const args = positionals[0] === 'wpt' ? positionals.slice(1) : positionals;
if (values.help) {
  console.log(`usage: npm run bench -- wpt [dir…] [--only nimbus|workerd] [--timeout S] [--jobs N] [--render]\n  dirs (default all): ${DIRECTORIES.join(' ')}\n  --render: rewrite table.md and RESULTS.md from results/wpt/summary.json, running nothing`);
  process.exit(0);
}

const root = new URL('../../', import.meta.url).pathname;
if (values.render) {
  const out = values.out ?? join(root, 'bench/results/wpt');
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  writeFileSync(join(out, 'table.md'), tableMarkdown(summary));
  renderResults();
  process.exit(0);
}

const wptDir = process.env.WPT_DIR ?? '/work/wpt';
if (!existsSync(join(wptDir, 'resources/testharness.js'))) {
  console.error(
    `bench wpt: no Web Platform Tests copy at ${wptDir} (resources/testharness.js is missing).\n` +
      '  Put a copy of https://github.com/web-platform-tests/wpt (or at least resources/, common/ and the\n' +
      `  directories to run: ${DIRECTORIES.join(', ')}) there, outside this repository,\n` +
      '  or point WPT_DIR at one. WPT files are never committed here.',
  );
  process.exit(2);
}
const dirs = args.length > 0 ? args : [...DIRECTORIES];
const softSec = Number(values.timeout);
const jobs = Math.max(1, Math.min(8, Number(values.jobs) || 1));
if (!Number.isFinite(softSec) || softSec < 1 || softSec > 600) {
  console.error('--timeout must be seconds from 1 to 600');
  process.exit(2);
}
const softMs = softSec * 1000;

const { files, skipped, absent } = findTests(wptDir, dirs);
console.log(`bench wpt: ${files.length} files from ${wptDir}; ${skipped.length} skipped (window-only); absent from the copy: ${absent.join(', ') || 'none'}`);

const runtimes: Runtime[] = [];
if (values.only !== 'workerd') runtimes.push(await nimbusRuntime());
if (values.only !== 'nimbus') runtimes.push(await workerdRuntime());

const results: FileResult[] = [];
async function runFile(i: number): Promise<void> {
  const f: TestFile = files[i];
  const built = buildModule(wptDir, f, softMs);
  const outcomes: Record<string, Outcome> = {};
  // The harness reports by its soft timeout; past this deadline the file hung.
  const deadlineMs = built.softTimeoutMs + 15000;
  for (const rt of runtimes) outcomes[rt.name] = await rt.run(String(i), { module: built.source, classic: built.classic, commonjs: built.commonjs }, deadlineMs);
  results[i] = { path: testName(f), dir: f.dir, missingScripts: built.missing, outcomes };
  const line = runtimes.map((rt) => `${rt.name} ${brief(outcomes[rt.name])}`).join('  ');
  console.log(`[${i + 1}/${files.length}] ${testName(f)}: ${line}`);
}
function brief(o: Outcome): string {
  if (o.kind !== 'ran') return o.kind.toUpperCase();
  const pass = o.report.tests.filter((t) => t.status === 0).length;
  return `${pass}/${o.report.tests.length}${o.report.harness.status !== 0 ? ' (harness error)' : ''}`;
}

const t0 = performance.now();
try {
  await eachAtOnce(files.length, jobs, runFile);
} finally {
  for (const rt of runtimes) await rt.stop();
}

const commitOf = (dir: string) => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};
const manifest = join(wptDir, 'MANIFEST.txt');
const summary = summarise(results, {
  date: new Date().toISOString(),
  nimbusCommit: commitOf(root),
  wptDir,
  // `source: owner/repo@commit (…)` lines of the copy's MANIFEST.txt, if it has one.
  wptSource: existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').filter((l) => l.startsWith('source:')).map((l) => l.slice(7).trim().split(/[ ,]/)[0]) : [],
  runtimes: runtimes.map((r) => r.name),
  softTimeoutSec: softSec,
  elapsedSec: Math.round((performance.now() - t0) / 1000),
  skipped,
  absent,
  workerdVersion: (await import('../targets/workerd.ts')).workerdVersion,
});
const out = values.out ?? join(root, 'bench/results/wpt');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
// One file per line: small, and a re-run's diff shows which files changed.
writeFileSync(join(out, 'files.json'), '[\n' + results.filter(Boolean).map((r) => JSON.stringify(fileDiff(r))).join(',\n') + '\n]\n');
const md = tableMarkdown(summary);
writeFileSync(join(out, 'table.md'), md);
console.log('\n' + md);
console.log(`wrote ${out}/summary.json, files.json, table.md`);
if (values.out === undefined) renderResults();
process.exit(0);

/** Re-renders bench/RESULTS.md with the WPT table (the load scenarios' figures unchanged). */
function renderResults(): void {
  const dir = resultsDir(false);
  const markdownFile = join(root, 'bench/RESULTS.md');
  render({ scenarios, results: readResults(dir), markdownFile, chartsDir: `${dir}charts`, quick: false, extra: extraSections(dir) });
  console.log(`rendered ${markdownFile}`);
}
