/**
 * `npm run bench -- compat [probe…] [--jobs N]`: the npm compatibility suite. Each probe
 * (probes/<name>.ts) runs in plain Node (node-probe.ts, a process of its own) and as a
 * Nimbus function deployed with `nimbus deploy` to a platform started for the run (a fresh
 * data directory), and in workerd with nodejs_compat (workerd.ts); each output is compared
 * with plain Node's (compare.ts). Writes
 * bench/results/compat.json and compat.md, and re-renders RESULTS.md.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from '../lib/http.ts';
import { eachAtOnce } from '../lib/jobs.ts';
import { machineInfo } from '../lib/machine.ts';
import { childEnv } from '../lib/proc.ts';
import { render } from '../lib/render.ts';
import { readResults, resultsDir } from '../lib/results.ts';
import { extraSections } from '../lib/sections.ts';
import { scenarios } from '../scenarios/index.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';
import { cliError, verdict, type TargetRun } from './compare.ts';
import type { Outcome } from './outcome.ts';
import { PACKAGES, type CompatPackage } from './packages.ts';
import { tableMarkdown, type CompatReport, type PackageResult } from './report.ts';
import { inWorkerd } from './workerd.ts';
import { wrapperSource } from './wrapper.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { jobs: { type: 'string', default: '2' }, 'no-workerd': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
});
const only = positionals[0] === 'compat' ? positionals.slice(1) : positionals;
if (values.help) {
  console.log(`usage: npm run bench -- compat [probe…] [--jobs N] [--no-workerd]\n  --no-workerd: only Nimbus and plain Node, not workerd with nodejs_compat\n  probes: ${PACKAGES.flatMap((p) => p.probe ?? []).join(' ')}`);
  process.exit(0);
}
const root = new URL('../../', import.meta.url).pathname;
const benchModules = join(root, 'bench/node_modules');
const missing = PACKAGES.filter((p) => p.probe !== undefined && !existsSync(join(benchModules, p.pkg, 'package.json'))).map((p) => p.pkg);
if (missing.length > 0) {
  console.error(`bench compat: not installed in bench/node_modules: ${missing.join(', ')}; run \`npm install\` in bench/`);
  process.exit(2);
}
const unknown = only.filter((o) => !PACKAGES.some((p) => p.probe === o));
if (unknown.length > 0) {
  console.error(`bench compat: no probe named ${unknown.join(', ')}`);
  process.exit(2);
}
const jobs = Math.max(1, Math.min(4, Number(values.jobs) || 1));
const withWorkerd = !values['no-workerd'];
const PROBE_TIMEOUT_MS = 60_000;
/** Bundling a large package (jsdom) on a loaded machine takes longer than a probe may run. */
const DEPLOY_TIMEOUT_MS = 240_000;

const version = (pkg: string): string | null => {
  const file = join(benchModules, pkg, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : null;
};

function run(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = PROBE_TIMEOUT_MS): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: env ?? childEnv(), timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr: error?.killed ? `${stderr}\n(timed out after ${timeoutMs / 1000} s)` : stderr });
    });
  });
}

async function inNode(probe: string): Promise<Outcome> {
  const r = await run(['--import', 'tsx', join(root, 'bench/compat/node-probe.ts'), join(root, `bench/compat/probes/${probe}.ts`)]);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Outcome;
  } catch {
    return { ok: false, error: `no answer (exit ${r.code}): ${cliError(r.stderr)}` };
  }
}

/** The probe's function: index.ts in a folder of its own under `work`, with a nimbus.json when it lists Node builds. */
function entryOf(work: string, p: CompatPackage & { probe: string }): string {
  const dir = join(work, p.probe);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.ts'), wrapperSource(p.probe));
  if (p.nodeBuild !== undefined) writeFileSync(join(dir, 'nimbus.json'), JSON.stringify({ nodeBuild: p.nodeBuild }));
  return dir;
}

/** What the table says of a probe deployed with settings of its own, when it works. */
const settingsNote = (p: CompatPackage): string => (p.nodeBuild === undefined ? '' : `deployed with nimbus.json \`"nodeBuild": ${JSON.stringify(p.nodeBuild)}\` (its Node build)`);

async function inNimbus(n: NimbusTarget, dir: string, probe: string): Promise<TargetRun> {
  const name = `compat-${probe}`;
  const env = childEnv({ NIMBUS_URL: n.baseUrl, NIMBUS_TOKEN: n.token });
  const d = await run([join(root, 'bin/nimbus.mjs'), 'deploy', name, dir, '--timeout', '30s', '--memory', '256', '--json'], env, DEPLOY_TIMEOUT_MS);
  if (d.code !== 0) return { kind: 'deploy-failed', why: cliError(d.stderr || d.stdout) };
  try {
    const r = await request(n.baseUrl + n.fnPath(name), { timeoutMs: PROBE_TIMEOUT_MS });
    if (r.status !== 200) return { kind: 'crash', why: `HTTP ${r.status}: ${r.body.slice(0, 400)}` };
    return { kind: 'ran', outcome: JSON.parse(r.body) as Outcome };
  } catch (e) {
    return { kind: 'crash', why: (e as Error).message };
  } finally {
    await n.api('DELETE', `/api/v1/functions/${name}`).catch(() => undefined);
  }
}

const selected = PACKAGES.filter((p) => only.length === 0 || (p.probe !== undefined && only.includes(p.probe)));
const machine = machineInfo();
const t0 = performance.now();
const work = mkdtempSync(join(tmpdir(), 'nimbus-compat-'));
const n = await startNimbus();
const results: PackageResult[] = [];
try {
  await eachAtOnce(selected.length, jobs, async (i) => {
    const p: CompatPackage = selected[i];
    const base = { pkg: p.pkg, version: version(p.pkg), exercises: p.exercises };
    if (p.probe === undefined) {
      results[i] = { ...base, status: 'reference', why: '' };
      return;
    }
    const dir = entryOf(work, { ...p, probe: p.probe });
    const [node, nimbus, workerd] = await Promise.all([inNode(p.probe), inNimbus(n, dir, p.probe), withWorkerd ? inWorkerd(join(dir, 'index.ts'), PROBE_TIMEOUT_MS) : undefined]);
    const v = verdict(node, nimbus);
    const w = workerd === undefined ? undefined : verdict(node, workerd, 'workerd');
    const why = v.status !== 'works' && p.known !== undefined ? `${p.known}. Found: ${v.why}` : v.status === 'works' ? settingsNote(p) : v.why;
    results[i] = { ...base, status: v.status, why, ...(w ? { workerd: w } : {}) };
    console.log(`[${i + 1}/${selected.length}] ${p.pkg}: ${v.status}${v.why ? ` (${v.why.slice(0, 300)})` : ''}${w ? `; workerd ${w.status}${w.why ? ` (${w.why.slice(0, 200)})` : ''}` : ''}`);
  });
} finally {
  await n.stop();
  rmSync(work, { recursive: true, force: true });
}

const report: CompatReport = {
  date: new Date().toISOString(),
  nimbusCommit: machine.commit.slice(0, 7) || 'unknown',
  node: process.version,
  loadAvg1m: machine.loadAvg1m,
  elapsedSec: Math.round((performance.now() - t0) / 1000),
  packages: results,
};
const md = tableMarkdown(report);
console.log('\n' + md);
if (only.length > 0) {
  console.log('(a partial run: results/compat.json and RESULTS.md are left as they were)');
  process.exit(0);
}
const dir = resultsDir(false);
writeFileSync(join(dir, 'compat.json'), JSON.stringify(report, null, 2) + '\n');
writeFileSync(join(dir, 'compat.md'), md);
render({ scenarios, results: readResults(dir), markdownFile: join(root, 'bench/RESULTS.md'), chartsDir: `${dir}charts`, quick: false, extra: extraSections(dir) });
console.log(`wrote ${dir}compat.json, compat.md; rendered bench/RESULTS.md`);
process.exit(0);
