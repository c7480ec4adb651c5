/** The suite's results as a file (results/compat.json) and as the Markdown table of RESULTS.md and docs/runtime.md. */
import type { Status } from './compare.ts';

export interface PackageResult {
  readonly pkg: string;
  readonly version: string | null;
  readonly exercises: string;
  /** `reference`: listed, tested elsewhere. */
  readonly status: Status | 'reference';
  readonly why: string;
  /** The same probe in workerd with nodejs_compat (absent when not run). */
  readonly workerd?: { readonly status: Status; readonly why: string };
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

/** Packages that give Node's output in workerd but not in Nimbus: the goal of issue #17 is that there are none. */
export function behindWorkerd(packages: readonly PackageResult[]): string[] {
  return packages.filter((p) => p.workerd?.status === 'works' && p.status !== 'works').map((p) => p.pkg);
}

export function tableMarkdown(r: CompatReport): string {
  const t = tally(r.packages);
  const ran = t.works + t.differs + t.fails + t['probe-broken'];
  const withWorkerd = r.packages.some((p) => p.workerd !== undefined);
  const wd = tally(r.packages.map((p) => ({ ...p, status: p.workerd?.status ?? 'reference' })));
  const behind = behindWorkerd(r.packages);
  const lines = [
    `${t.works} of ${ran} packages give the same output in Nimbus as in plain Node ${r.node}` +
      (t.differs + t.fails > 0 ? ` (${t.differs} differ, ${t.fails} fail)` : '') +
      (withWorkerd ? `; in workerd with \`nodejs_compat\`, ${wd.works} (${wd.differs} differ, ${wd.fails} fail)` : '') +
      `; run ${r.date.slice(0, 10)} on ${r.nimbusCommit}, load average ${r.loadAvg1m.toFixed(2)}.` +
      (withWorkerd ? (behind.length === 0 ? ' Every package that works in workerd works in Nimbus.' : ` Work in workerd but not in Nimbus: ${behind.map((b) => `\`${b}\``).join(', ')}.`) : ''),
    '',
    `| package | version | Nimbus |${withWorkerd ? ' workerd |' : ''} what the probe does | why (when it does not work) |`,
    `|---|---|---|${withWorkerd ? '---|' : ''}---|---|`,
  ];
  for (const p of r.packages) {
    const why = [p.why, p.workerd && p.workerd.status !== 'works' ? `workerd: ${p.workerd.why}` : ''].filter(Boolean).join('; ');
    lines.push(`| \`${p.pkg}\` | ${p.version ?? '—'} | ${WORDS[p.status]} |${withWorkerd ? ` ${p.workerd ? WORDS[p.workerd.status] : '—'} |` : ''} ${cell(p.exercises)} | ${cell(why)} |`);
  }
  return lines.join('\n') + '\n';
}
