/** The suite's results as a file (results/compat.json) and as the Markdown table of RESULTS.md and docs/runtime.md. */
import type { Status } from './compare.ts';

export interface PackageResult {
  readonly pkg: string;
  readonly version: string | null;
  readonly exercises: string;
  /** `reference`: listed, tested elsewhere. */
  readonly status: Status | 'reference';
  readonly why: string;
}

export interface CompatReport {
  readonly date: string;
  readonly nimbusCommit: string;
  readonly node: string;
  readonly loadAvg1m: number;
  readonly elapsedSec: number;
  readonly packages: readonly PackageResult[];
}

const WORDS: Record<PackageResult['status'], string> = {
  works: 'works',
  differs: '**differs**',
  fails: '**fails**',
  'probe-broken': 'probe broken',
  reference: 'see drivers tests',
};

/** Counts of each status over the packages the suite ran (references left out). */
export function tally(packages: readonly PackageResult[]): Record<Status, number> {
  const t: Record<Status, number> = { works: 0, differs: 0, fails: 0, 'probe-broken': 0 };
  for (const p of packages) if (p.status !== 'reference') t[p.status]++;
  return t;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

export function tableMarkdown(r: CompatReport): string {
  const t = tally(r.packages);
  const ran = t.works + t.differs + t.fails + t['probe-broken'];
  const lines = [
    `${t.works} of ${ran} packages give the same output in Nimbus as in plain Node ${r.node}` +
      (t.differs + t.fails > 0 ? ` (${t.differs} differ, ${t.fails} fail)` : '') +
      `; run ${r.date.slice(0, 10)} on ${r.nimbusCommit}, load average ${r.loadAvg1m.toFixed(2)}.`,
    '',
    '| package | version | in Nimbus | what the probe does | why (when it does not work) |',
    '|---|---|---|---|---|',
  ];
  for (const p of r.packages) lines.push(`| \`${p.pkg}\` | ${p.version ?? '—'} | ${WORDS[p.status]} | ${cell(p.exercises)} | ${cell(p.why)} |`);
  return lines.join('\n') + '\n';
}
