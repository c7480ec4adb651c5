/**
 * Renders result files into a Markdown report plus SVG charts. Pure function of the JSON:
 * re-rendering never re-measures. A scenario without a result file, or a target a
 * scenario could not run, is shown as "not measured yet" with the reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Metric, ScenarioResult } from './results.ts';
import { barChart, fmt, lineChart, type BarPanel } from './svg.ts';

export interface RenderInput {
  /** Every registered scenario, in report order. */
  readonly scenarios: ReadonlyArray<{ id: string; title: string; description: string }>;
  readonly results: readonly ScenarioResult[];
  /** The Markdown file to write, and the directory for charts. */
  readonly markdownFile: string;
  readonly chartsDir: string;
  readonly quick: boolean;
  /** Sections appended after the scenarios, as Markdown (the WPT table of bench/wpt/). */
  readonly extra?: readonly string[];
}

const SUBJECT = 'nimbus';

const KNOWN: Record<string, string> = {
  nimbus: 'Nimbus',
  'raw-node': 'raw node:http',
  workerd: 'workerd',
  'aws-local-stepfunctions': 'aws-local-stepfunctions',
};

function label(r: ScenarioResult, id: string): string {
  return r.targets.find((t) => t.id === id)?.label ?? KNOWN[id] ?? id;
}

function ratio(m: Metric, target: string, baseline: string): string {
  const a = m.values[target]?.median;
  const b = m.values[baseline]?.median;
  if (target === baseline) return '1.00x (baseline)';
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  return `${(a / b).toFixed(2)}x`;
}

function spread(m: Metric, t: string): string {
  const v = m.values[t];
  if (!v || v.rounds.length < 2) return '';
  return `${fmt(v.min)}–${fmt(v.max)}`;
}

function orderedTargets(r: ScenarioResult, m: Metric): string[] {
  const ids = r.targets.map((t) => t.id).filter((id) => m.values[id]);
  for (const id of Object.keys(m.values)) if (!ids.includes(id)) ids.push(id);
  return ids;
}

function metricTable(r: ScenarioResult): string[] {
  const out = [
    `| metric | target | median | p99 | range (rounds or samples) | n | ratio to ${label(r, r.baseline)} |`,
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const m of r.metrics) {
    const better = m.better === 'higher' ? 'higher is better' : 'lower is better';
    for (const t of orderedTargets(r, m)) {
      const v = m.values[t];
      const fails = v.failures ? ` ⚠ ${v.failures} failed requests excluded` : '';
      out.push(
        `| ${m.label} (${m.unit}, ${better}) | ${label(r, t)} | ${fmt(v.median)} | ${v.p99 !== undefined ? fmt(v.p99) : ''} | ${spread(m, t)} | ${v.n} | ${ratio(m, t, r.baseline)}${fails} |`,
      );
    }
  }
  return out;
}

function charts(r: ScenarioResult, dir: string): string[] {
  const files: string[] = [];
  const panels: BarPanel[] = r.metrics.map((m) => ({
    title: m.label,
    unit: m.unit,
    note: m.kind === 'latency' ? 'bar: median, whisker: median→p99' : 'bar: median, whisker: min–max of rounds',
    bars: orderedTargets(r, m).map((t) => {
      const v = m.values[t];
      return m.kind === 'latency'
        ? { target: t, label: label(r, t), value: v.median, lo: v.median, hi: v.p99 ?? v.median }
        : { target: t, label: label(r, t), value: v.median, lo: v.min, hi: v.max };
    }),
  }));
  if (panels.length > 0) {
    const f = `${r.scenario}-summary.svg`;
    writeFileSync(join(dir, f), barChart(r.title, panels));
    files.push(f);
  }
  for (const m of r.metrics) {
    const series = orderedTargets(r, m)
      .filter((t) => m.values[t].curve && m.values[t].n >= 20)
      .map((t) => ({ target: t, label: label(r, t), points: m.values[t].curve! }));
    if (series.length === 0) continue;
    const f = `${r.scenario}-${m.id}-distribution.svg`;
    writeFileSync(
      join(dir, f),
      lineChart(`${m.label}: distribution`, series, { xLabel: 'percentile', yLabel: m.unit, xScale: 'percentile', subtitle: r.title }),
    );
    files.push(f);
  }
  for (const tl of r.timelines) {
    const series = Object.entries(tl.series).map(([t, points]) => ({ target: t, label: label(r, t), points }));
    if (series.length === 0) continue;
    const f = `${r.scenario}-${tl.id}.svg`;
    writeFileSync(join(dir, f), lineChart(tl.label, series, { xLabel: tl.xUnit, yLabel: tl.yUnit, xScale: 'linear', step: true, subtitle: r.title }));
    files.push(f);
  }
  return files;
}

function headline(r: ScenarioResult | undefined): string[] {
  const m = r?.metrics.find((x) => x.id === r.headline) ?? r?.metrics[0];
  if (!r || !m) return ['', '', '', ''];
  // The Nimbus column: plain `nimbus`, else the first Nimbus variant (e.g. observability on).
  const subject = m.values[SUBJECT] ? SUBJECT : (Object.keys(m.values).find((k) => k.startsWith(SUBJECT)) ?? SUBJECT);
  const peers = orderedTargets(r, m)
    .filter((t) => t !== subject)
    // Each peer also says what Nimbus is as a ratio of it (e.g. of workerd, not only of the baseline).
    .map((t) => `${label(r, t)} ${fmt(m.values[t].median)}${m.values[subject] && t !== r.baseline ? ` (Nimbus ${ratio(m, subject, t)})` : ''}`)
    .join(' · ');
  const nimbus = m.values[subject] ? fmt(m.values[subject].median) : 'not measured yet';
  const ratioCell = m.values[subject] && m.values[r.baseline] ? `${ratio(m, subject, r.baseline)} of ${label(r, r.baseline)}` : '—';
  return [`${m.label} (${m.unit}, ${m.better} is better)`, nimbus, peers || '—', ratioCell];
}

export function render(input: RenderInput): string {
  mkdirSync(input.chartsDir, { recursive: true });
  const md: string[] = [];
  const mdDir = join(input.markdownFile, '..');
  const rel = (f: string) => relative(mdDir, join(input.chartsDir, f));
  const byId = new Map(input.results.map((r) => [r.scenario, r]));
  md.push(`# Benchmark results${input.quick ? ' (quick smoke run: NOT representative)' : ''}`, '');
  md.push(
    '_Generated by `npm run bench` from `bench/results/*.json`; do not edit by hand. ' +
      'How to run and how to read these numbers: [bench/README.md](' + relative(mdDir, new URL('../README.md', import.meta.url).pathname) + ')._',
    '',
  );
  // The machine once (scenarios record their own commit and load below); more lines only
  // if results from different machines or package versions are mixed.
  const machines = new Map(input.results.map((r) => [JSON.stringify({ ...r.machine, loadAvg1m: 0, dirty: false, commit: '' }), r.machine]));
  for (const m of machines.values()) {
    md.push(
      `**Machine:** ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}; Node ${m.node} (V8 ${m.v8}); ` +
        `autocannon ${m.packages.autocannon}, workerd ${m.packages.workerd}, aws-local-stepfunctions ${m.packages['aws-local-stepfunctions']}. ` +
        'Each scenario below names the commit it ran on and the load average when it started.',
      '',
    );
  }
  md.push(
    '## Summary',
    '',
    'Medians. The ratio is Nimbus ÷ the scenario\'s baseline (for throughput, above 1 means Nimbus is faster; for time and memory, below 1 means it is faster or smaller).',
    '',
    '| scenario | headline metric | Nimbus | peers | Nimbus ÷ baseline |',
    '|---|---|---:|---|---:|',
  );
  for (const sc of input.scenarios) {
    const r = byId.get(sc.id);
    const [metric, n, peers, ratioCell] = headline(r);
    md.push(r ? `| [${sc.title}](#${sc.id}) | ${metric} | ${n} | ${peers} | ${ratioCell} |` : `| ${sc.title} | not measured yet: no result file (scenario not run) | | | |`);
  }
  md.push('');
  for (const sc of input.scenarios) {
    const r = byId.get(sc.id);
    md.push(`<a id="${sc.id}"></a>`, `## ${sc.title}`, '', sc.description, '');
    if (!r) {
      md.push(`**Not measured yet:** no result file; run \`npm run bench -- ${sc.id}\`.`, '');
      continue;
    }
    const settings = Object.entries(r.settings).map(([k, v]) => `${k}=${v}`).join(', ');
    md.push(
      `Run ${r.startedAt} on commit \`${r.machine.commit}\`${r.machine.dirty ? ' (with uncommitted changes)' : ''}, ` +
        `load average ${r.machine.loadAvg1m} at start, took ${r.elapsedSec.toFixed(0)} s. ${settings}.`,
      '',
    );
    if (r.metrics.length > 0) md.push(...metricTable(r), '');
    if (r.notMeasured.length > 0) {
      for (const n of r.notMeasured) md.push(`- **${label(r, n.target)}, ${n.what}: not measured yet:** ${n.why}`);
      md.push('');
    }
    for (const note of r.notes) md.push(`- ${note}`);
    if (r.notes.length > 0) md.push('');
    for (const f of charts(r, input.chartsDir)) md.push(`![${f}](${rel(f)})`);
    md.push('');
  }
  for (const section of input.extra ?? []) md.push(section, '');
  const text = md.join('\n');
  writeFileSync(input.markdownFile, text);
  return text;
}
