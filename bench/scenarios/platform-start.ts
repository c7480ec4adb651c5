/**
 * Platform start and idle memory, and a client command's time to its first byte: the
 * build in dist/ (what `nimbus` runs) against the same tree run from its TypeScript
 * through tsx (what it ran before the build), alternated in every round.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { memoryOf, processTree, sleep } from '../lib/proc.ts';
import type { Recorder } from '../lib/results.ts';
import type { Scenario } from '../lib/scenario.ts';
import { startNimbus } from '../targets/nimbus.ts';
import type { TargetInfo } from '../lib/results.ts';

const root = new URL('../../', import.meta.url).pathname;
const BUILT: TargetInfo = { id: 'nimbus-built', label: 'Nimbus, built (dist/)', description: '`bin/nimbus.mjs` running the esbuild bundle in dist/ (`npm run build`).' };
const SOURCE: TargetInfo = { id: 'nimbus-source', label: 'Nimbus from source (tsx)', description: 'The same tree run from src/ through tsx (NIMBUS_FROM_SOURCE=1), as every start was before the build.' };
/** How long the platform idles before its memory is read: past start-up's garbage and the first flushes. */
const IDLE_MS = 3000;

/** Milliseconds from spawning `nimbus ls --json` to the first byte on its stdout. */
function clientFirstByte(env: Record<string, string>, url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(root, 'bin/nimbus.mjs'), 'ls', '--json', '--url', url, '--token', token], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = 0;
    child.stdout.once('data', () => (first = performance.now() - t0));
    child.on('exit', (code) => (code === 0 && first > 0 ? resolve(first) : reject(new Error(`nimbus ls exited with ${code}`))));
  });
}

async function measure(rec: Recorder, target: TargetInfo, env: Record<string, string>): Promise<void> {
  const n = await startNimbus({ env });
  try {
    rec.sample('start', target.id, n.startMs);
    rec.sample('ls', target.id, await clientFirstByte(env, n.baseUrl, n.token));
    await sleep(IDLE_MS);
    const tree = processTree(n.pid);
    rec.round('rss', target.id, memoryOf(n.pid).rssKb / 1024); // the command execs Node: the platform keeps its pid
    rec.round('rss-tree', target.id, tree.reduce((kb, pid) => kb + memoryOf(pid).rssKb, 0) / 1024);
  } finally {
    await n.stop();
  }
}

export const platformStart: Scenario = {
  id: 'platform-start',
  title: 'Platform start, idle memory and CLI start',
  description:
    '`nimbus up --no-examples` from spawn to its ready line, its RSS after idling ' +
    `${IDLE_MS / 1000} s (the platform process alone, and every process \`nimbus up\` runs: one since the command execs Node with the flags the platform needs), and \`nimbus ls --json\` ` +
    'from spawn to its first byte on stdout against that platform. The build (dist/) and the same tree from source (tsx) alternate in every round.',
  async run(s, rec) {
    rec.metric({ id: 'start', label: 'Platform start (spawn → ready)', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'rss', label: `Platform RSS idle, ${IDLE_MS / 1000} s after ready`, unit: 'MB', better: 'lower', kind: 'size' });
    rec.metric({ id: 'rss-tree', label: 'RSS idle, every process of nimbus up', unit: 'MB', better: 'lower', kind: 'size' });
    rec.metric({ id: 'ls', label: '`nimbus ls` to its first byte', unit: 'ms', better: 'lower', kind: 'latency' });
    if (!existsSync(join(root, 'dist/cli.js'))) throw new Error('bench: dist/cli.js is missing: run `npm run build` first');
    for (let round = 1; round <= s.rounds; round++) {
      await measure(rec, SOURCE, { NIMBUS_FROM_SOURCE: '1' });
      await measure(rec, BUILT, { NIMBUS_FROM_SOURCE: '' });
      s.log(`  round ${round} done`);
    }
    rec.note('Latency distributions here are exact order statistics of the samples (n is small: p99 ≈ the worst sample).');
    return { targets: [SOURCE, BUILT], settings: { idleMs: IDLE_MS }, baseline: SOURCE.id, headline: 'start' };
  },
};
