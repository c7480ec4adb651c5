/**
 * A very small SVG chart writer: grouped horizontal bars and multi-series line charts.
 * Text only, no browser, no dependencies. Colours are fixed per target id so a target
 * looks the same in every chart.
 */

const COLOURS: Record<string, string> = {
  nimbus: '#2563eb',
  'raw-node': '#6b7280',
  workerd: '#f97316',
  'aws-local-stepfunctions': '#a855f7',
  'nimbus-obs-off': '#10b981',
  'nimbus-obs-on': '#2563eb',
};
const SPARE = ['#0ea5e9', '#ef4444', '#84cc16', '#eab308', '#14b8a6'];

export function colour(id: string, i = 0): string {
  return COLOURS[id] ?? SPARE[i % SPARE.length];
}

export const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Compact number for labels: 12345 → "12.3k", 0.0123 → "0.0123". */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(2);
}

/** Axis tick label: 10000 → "10k", 2.5 → "2.5", 5 → "5". */
export function fmtTick(v: number): string {
  if (Math.abs(v) >= 1e6) return `${Number((v / 1e6).toPrecision(4))}M`;
  if (Math.abs(v) >= 1e3) return `${Number((v / 1e3).toPrecision(4))}k`;
  return String(Number(v.toPrecision(4)));
}

/** 1, 2, 5 × 10^k steps covering [0, max]. */
export function niceTicks(maxValue: number, count = 5): number[] {
  if (!(maxValue > 0)) return [0, 1];
  const raw = maxValue / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= maxValue + step * 0.999 && ticks.length < 50; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';

export interface Bar {
  readonly target: string;
  readonly label: string;
  readonly value: number;
  /** Whisker: the spread over rounds (or p99 for latencies). */
  readonly lo?: number;
  readonly hi?: number;
}

export interface BarPanel {
  readonly title: string;
  readonly unit: string;
  readonly bars: readonly Bar[];
  readonly note?: string;
}

/** Panels stacked vertically, each with its own scale. */
export function barChart(title: string, panels: readonly BarPanel[]): string {
  const width = 760;
  const left = 190;
  const right = 90;
  const barH = 22;
  const gap = 8;
  const plotW = width - left - right;
  let y = 44;
  const parts: string[] = [];
  for (const panel of panels) {
    parts.push(`<text x="16" y="${y}" font-size="14" font-weight="600" ${FONT}>${esc(panel.title)} (${esc(panel.unit)})</text>`);
    if (panel.note) parts.push(`<text x="${width - 16}" y="${y}" font-size="11" text-anchor="end" fill="#6b7280" ${FONT}>${esc(panel.note)}</text>`);
    y += 12;
    const maxV = Math.max(...panel.bars.map((b) => Math.max(b.value, b.hi ?? 0)).filter(Number.isFinite), 0);
    const ticks = niceTicks(maxV);
    const top = ticks[ticks.length - 1] || 1;
    const x = (v: number) => left + (Math.max(0, v) / top) * plotW;
    const h = panel.bars.length * (barH + gap);
    for (const t of ticks) {
      parts.push(`<line x1="${x(t).toFixed(1)}" y1="${y}" x2="${x(t).toFixed(1)}" y2="${y + h}" stroke="#e5e7eb"/>`);
      parts.push(`<text x="${x(t).toFixed(1)}" y="${y + h + 12}" font-size="10" text-anchor="middle" fill="#6b7280" ${FONT}>${fmtTick(t)}</text>`);
    }
    panel.bars.forEach((b, i) => {
      const by = y + i * (barH + gap);
      parts.push(`<text x="${left - 8}" y="${by + barH / 2 + 4}" font-size="12" text-anchor="end" ${FONT}>${esc(b.label)}</text>`);
      if (Number.isFinite(b.value)) {
        parts.push(`<rect x="${left}" y="${by}" width="${(x(b.value) - left).toFixed(1)}" height="${barH}" fill="${colour(b.target, i)}" rx="2"/>`);
        if (b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
          const cy = by + barH / 2;
          parts.push(`<line x1="${x(b.lo).toFixed(1)}" y1="${cy}" x2="${x(b.hi).toFixed(1)}" y2="${cy}" stroke="#111827" stroke-width="1.5"/>`);
          for (const v of [b.lo, b.hi]) parts.push(`<line x1="${x(v).toFixed(1)}" y1="${cy - 5}" x2="${x(v).toFixed(1)}" y2="${cy + 5}" stroke="#111827" stroke-width="1.5"/>`);
        }
        const labelX = Math.max(x(b.value), x(b.hi ?? 0)) + 6;
        parts.push(`<text x="${labelX.toFixed(1)}" y="${by + barH / 2 + 4}" font-size="12" ${FONT}>${fmt(b.value)}</text>`);
      } else {
        parts.push(`<text x="${left + 4}" y="${by + barH / 2 + 4}" font-size="12" fill="#6b7280" ${FONT}>not measured</text>`);
      }
    });
    y += h + 40;
  }
  return svgDoc(width, y - 10, title, parts);
}

export interface Series {
  readonly target: string;
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface LineOptions {
  readonly xLabel: string;
  readonly yLabel: string;
  /** 'percentile': x is a percentile 0–100 drawn on a log(1/(1-p)) scale. */
  readonly xScale: 'linear' | 'percentile';
  readonly step?: boolean;
  readonly subtitle?: string;
}

const PCT_TICKS = [0, 50, 90, 99, 99.9, 99.99];
const pctPos = (p: number) => Math.log10(1 / Math.max(1e-5, 1 - Math.min(p, 99.999) / 100));

export function lineChart(title: string, series: readonly Series[], o: LineOptions): string {
  const width = 760;
  const height = 380;
  const left = 70;
  const right = 170;
  const top = 52;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const xs = all.map(([a]) => (o.xScale === 'percentile' ? pctPos(a) : a));
  const xMax = o.xScale === 'percentile' ? pctPos(99.99) : Math.max(...xs, 1);
  const yTicks = niceTicks(Math.max(...all.map(([, b]) => b), 0));
  const yMax = yTicks[yTicks.length - 1] || 1;
  const X = (v: number) => left + ((o.xScale === 'percentile' ? pctPos(v) : v) / xMax) * plotW;
  const Y = (v: number) => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  for (const t of yTicks) {
    parts.push(`<line x1="${left}" y1="${Y(t).toFixed(1)}" x2="${left + plotW}" y2="${Y(t).toFixed(1)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${left - 6}" y="${(Y(t) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#6b7280" ${FONT}>${fmtTick(t)}</text>`);
  }
  const xTicks = o.xScale === 'percentile' ? PCT_TICKS : niceTicks(xMax);
  for (const t of xTicks) {
    const px = X(t);
    if (px > left + plotW + 0.5) continue;
    parts.push(`<line x1="${px.toFixed(1)}" y1="${top}" x2="${px.toFixed(1)}" y2="${top + plotH}" stroke="#f3f4f6"/>`);
    parts.push(`<text x="${px.toFixed(1)}" y="${top + plotH + 14}" font-size="10" text-anchor="middle" fill="#6b7280" ${FONT}>${o.xScale === 'percentile' ? `p${t}` : fmtTick(t)}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${height - 12}" font-size="12" text-anchor="middle" ${FONT}>${esc(o.xLabel)}</text>`);
  parts.push(`<text x="16" y="${top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${top + plotH / 2})" ${FONT}>${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && (o.xScale !== 'percentile' || a <= 99.99));
    if (pts.length === 0) return;
    let d = '';
    pts.forEach(([a, b], j) => {
      const px = X(a).toFixed(1);
      const py = Y(b).toFixed(1);
      if (j === 0) d += `M${px},${py}`;
      else if (o.step) d += `H${px}V${py}`;
      else d += `L${px},${py}`;
    });
    const c = colour(s.target, i);
    parts.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>`);
    const ly = top + 10 + i * 20;
    parts.push(`<rect x="${left + plotW + 14}" y="${ly - 8}" width="14" height="4" fill="${c}"/>`);
    parts.push(`<text x="${left + plotW + 34}" y="${ly}" font-size="12" ${FONT}>${esc(s.label)}</text>`);
  });
  if (o.subtitle) parts.push(`<text x="16" y="38" font-size="11" fill="#6b7280" ${FONT}>${esc(o.subtitle)}</text>`);
  return svgDoc(width, height, title, parts);
}

function svgDoc(width: number, height: number, title: string, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="16" y="22" font-size="16" font-weight="700" ${FONT}>${esc(title)}</text>
${parts.join('\n')}
</svg>
`;
}
