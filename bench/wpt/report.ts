/**
 * Per-directory table and per-file differences of a WPT run. A file that crashed or hung in
 * a runtime counts all its subtests as failed there; the file's subtest count is the
 * largest any runtime reported for it (0 when none could run it: then only the file counts).
 */
import { PASS, type Outcome } from './targets.ts';

export interface FileResult {
  readonly path: string;
  readonly dir: string;
  readonly missingScripts: readonly string[];
  readonly outcomes: Record<string, Outcome>;
}

export interface DirRow {
  readonly dir: string;
  files: number;
  subtests: number;
  readonly pass: Record<string, number>;
  /** Files that crashed, hung or failed to deploy, per runtime. */
  readonly broken: Record<string, number>;
}

export interface Summary {
  readonly date: string;
  readonly nimbusCommit: string;
  readonly wptDir: string;
  readonly wptSource: readonly string[];
  readonly runtimes: readonly string[];
  readonly softTimeoutSec: number;
  readonly elapsedSec: number;
  readonly workerdVersion: string;
  readonly skipped: ReadonlyArray<{ path: string; why: string }>;
  readonly absent: readonly string[];
  readonly rows: DirRow[];
  readonly total: DirRow;
}

const passed = (o: Outcome | undefined) => (o?.kind === 'ran' ? o.report.tests.filter((t) => t.status === PASS).length : 0);
const counted = (o: Outcome | undefined) => (o?.kind === 'ran' ? o.report.tests.length : 0);

export function subtestsOf(r: FileResult): number {
  return Math.max(0, ...Object.values(r.outcomes).map(counted));
}

export function summarise(results: readonly FileResult[], head: Omit<Summary, 'rows' | 'total'>): Summary {
  const rows = new Map<string, DirRow>();
  const blank = (dir: string): DirRow => ({
    dir,
    files: 0,
    subtests: 0,
    pass: Object.fromEntries(head.runtimes.map((n) => [n, 0])),
    broken: Object.fromEntries(head.runtimes.map((n) => [n, 0])),
  });
  const total = blank('total');
  for (const r of results) {
    if (!r) continue;
    const row = rows.get(r.dir) ?? blank(r.dir);
    rows.set(r.dir, row);
    const n = subtestsOf(r);
    for (const x of [row, total]) {
      x.files++;
      x.subtests += n;
      for (const rt of head.runtimes) {
        x.pass[rt] += passed(r.outcomes[rt]);
        if (r.outcomes[rt]?.kind !== 'ran') x.broken[rt]++;
      }
    }
  }
  return { ...head, rows: [...rows.values()], total };
}

/** How many subtest names a per-file list keeps (the counts are whole). */
const LIST = 30;

/** What a developer needs of one file: each runtime's outcome and the subtests that differ. */
export function fileDiff(r: FileResult) {
  const names = (o: Outcome | undefined, pass: boolean) =>
    new Set(o?.kind === 'ran' ? o.report.tests.filter((t) => (t.status === PASS) === pass).map((t) => t.name) : []);
  const n = r.outcomes.nimbus;
  const w = r.outcomes.workerd;
  const nPass = names(n, true);
  const wPass = names(w, true);
  const onlyW = [...wPass].filter((x) => !nPass.has(x));
  const onlyN = w ? [...nPass].filter((x) => !wPass.has(x)) : [];
  const describe = (o: Outcome | undefined) =>
    !o
      ? null
      : o.kind === 'ran'
        ? { outcome: 'ran', pass: passed(o), subtests: counted(o), harness: o.report.harness, ms: Math.round(o.ms) }
        : { outcome: o.kind, why: o.why, ms: Math.round(o.ms) };
  return {
    path: r.path,
    dir: r.dir,
    subtests: subtestsOf(r),
    ...(r.missingScripts.length > 0 ? { missingScripts: r.missingScripts } : {}),
    nimbus: describe(n),
    workerd: describe(w),
    passOnlyInWorkerdCount: onlyW.length,
    passOnlyInWorkerd: onlyW.slice(0, LIST),
    passOnlyInNimbusCount: onlyN.length,
    passOnlyInNimbus: onlyN.slice(0, LIST),
    nimbusFailures:
      n?.kind === 'ran'
        ? n.report.tests.filter((t) => t.status !== PASS).slice(0, LIST).map((t) => ({ name: t.name, status: t.status, message: t.message }))
        : [],
  };
}

export function tableMarkdown(s: Summary): string {
  const rts = s.runtimes;
  const label = (rt: string) => (rt === 'nimbus' ? 'Nimbus' : `workerd ${s.workerdVersion}`);
  const pct = (a: number, b: number) => (b > 0 ? ` (${((100 * a) / b).toFixed(1)} %)` : '');
  const lines = [
    `| directory | files | subtests | ${rts.map((r) => `${label(r)} pass`).join(' | ')} | ${rts.map((r) => `${r === 'nimbus' ? 'Nimbus' : 'workerd'} files crashed/hung`).join(' | ')} |`,
    `|---|---:|---:|${rts.map(() => '---:').join('|')}|${rts.map(() => '---:').join('|')}|`,
  ];
  const row = (x: DirRow, bold = false) => {
    const b = (v: string) => (bold ? `**${v}**` : v);
    const best = Math.max(...rts.map((r) => x.pass[r]));
    return `| ${b(x.dir)} | ${x.files} | ${x.subtests} | ${rts.map((r) => b(`${x.pass[r]}${pct(x.pass[r], x.subtests)}${rts.length > 1 && x.pass[r] === best && best > 0 ? ' ✓' : ''}`)).join(' | ')} | ${rts.map((r) => x.broken[r]).join(' | ')} |`;
  };
  for (const x of s.rows) lines.push(row(x));
  lines.push(row(s.total, true));
  lines.push(
    '',
    `Run ${s.date} on Nimbus commit \`${s.nimbusCommit}\`, ${s.elapsedSec} s, harness timeout ${s.softTimeoutSec} s a file. ` +
      `WPT from ${s.wptDir}${s.wptSource.length > 0 ? ': ' + s.wptSource.join('; ') : ''}. ` +
      `✓ marks the higher pass count. ${s.skipped.length} \`.any.js\` files skipped as window-only (\`META: global=\` names no worker scope).` +
      (s.absent.length > 0 ? ` **Not in the WPT copy, so not measured:** ${s.absent.join(', ')}.` : ''),
    '',
  );
  return lines.join('\n');
}
