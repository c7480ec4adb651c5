/**
 * Hand-written SVG charts (a sparkline, bars and lines): a few hundred bytes each instead of
 * a charting library. Colours come from CSS classes (s0…s5), so the CSP needs no inline style.
 * Each chart has a text label for screen readers, and a <title> per point for a mouse.
 */
import { num } from '../format.ts';

export function Sparkline({ values, label, width = 120, height = 24 }: { values: readonly number[]; label: string; width?: number; height?: number }) {
  const max = Math.max(1, ...values);
  const n = values.length;
  const pts = values.map((v, i) => `${n <= 1 ? 0 : ((i / (n - 1)) * width).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return (
    <svg class="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${label}: ${values.map((v) => num(v)).join(', ')}`}>
      {n > 0 ? <polyline class="line s0" points={pts} /> : null}
    </svg>
  );
}

export interface Series {
  readonly name: string;
  readonly values: readonly (number | null)[];
}

interface ChartProps {
  readonly labels: readonly string[];
  readonly series: readonly Series[];
  readonly label: string;
  readonly height?: number;
  readonly format?: (v: number) => string;
}

const W = 600;
const PAD = { l: 66, r: 22, t: 8, b: 22 };

function axis(max: number, height: number, format: (v: number) => string) {
  const ticks = [0, 0.5, 1].map((f) => ({ y: PAD.t + (1 - f) * (height - PAD.t - PAD.b), v: f * max }));
  return ticks.map((t) => (
    <g key={t.y}>
      <line class="gridline" x1={PAD.l} x2={W - PAD.r} y1={t.y} y2={t.y} />
      <text class="tick" x={PAD.l - 4} y={t.y + 4} text-anchor="end">
        {format(t.v)}
      </text>
    </g>
  ));
}

function xLabels(labels: readonly string[], x: (i: number) => number, height: number) {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  return labels.map((l, i) =>
    i % every === 0 ? (
      <text key={i} class="tick" x={x(i)} y={height - 6} text-anchor={i === 0 && labels.length > 1 ? 'start' : i === labels.length - 1 && labels.length > 1 ? 'end' : 'middle'}>
        {l}
      </text>
    ) : null,
  );
}

function Legend({ series }: { series: readonly Series[] }) {
  if (series.length < 2) return null;
  return (
    <ul class="legend">
      {series.map((s, i) => (
        <li key={s.name}>
          <span class={`swatch s${i % 6}`} aria-hidden="true" />
          {s.name}
        </li>
      ))}
    </ul>
  );
}

/** Stacked bars: one bar per label, one segment per series. */
export function BarChart({ labels, series, label, height = 180, format = (v) => num(v, 2) }: ChartProps) {
  const totals = labels.map((_, i) => series.reduce((t, s) => t + (s.values[i] ?? 0), 0));
  const max = Math.max(...totals, 0) || 1;
  const inner = W - PAD.l - PAD.r;
  const bw = inner / Math.max(1, labels.length);
  const y = (v: number) => ((height - PAD.t - PAD.b) * v) / max;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-label={label}>
        {axis(max, height, format)}
        {labels.map((l, i) => {
          let base = height - PAD.b;
          return (
            <g key={i}>
              {series.map((s, k) => {
                const v = s.values[i] ?? 0;
                const h = y(v);
                base -= h;
                return v > 0 ? (
                  <rect key={k} class={`bar s${k % 6}`} x={PAD.l + i * bw + bw * 0.1} width={bw * 0.8} y={base} height={h}>
                    <title>{`${l} · ${s.name}: ${format(v)}`}</title>
                  </rect>
                ) : null;
              })}
            </g>
          );
        })}
        {xLabels(labels, (i) => PAD.l + i * bw + bw / 2, height)}
      </svg>
      <Legend series={series} />
    </figure>
  );
}

/** Lines, one per series; a null is a gap. */
export function LineChart({ labels, series, label, height = 180, format = (v) => num(v, 2), step = false }: ChartProps & { step?: boolean }) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = Math.max(...all, 0) || 1;
  const inner = W - PAD.l - PAD.r;
  const x = (i: number) => PAD.l + (labels.length <= 1 ? inner / 2 : (i / (labels.length - 1)) * inner);
  const y = (v: number) => height - PAD.b - ((height - PAD.t - PAD.b) * v) / max;
  const path = (values: readonly (number | null)[]) => {
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      if (!pen) d += `M${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      else if (step) d += `H${x(i).toFixed(1)}V${y(v).toFixed(1)}`;
      else d += `L${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-label={label}>
        {axis(max, height, format)}
        {series.map((s, k) => (
          <g key={s.name}>
            <path class={`line s${k % 6}`} d={path(s.values)} />
            {s.values.map((v, i) =>
              v === null ? null : (
                <circle key={i} class={`dot s${k % 6}`} cx={x(i)} cy={y(v)} r={labels.length > 60 ? 0 : 2.5}>
                  <title>{`${labels[i]} · ${s.name}: ${format(v)}`}</title>
                </circle>
              ),
            )}
          </g>
        ))}
        {xLabels(labels, x, height)}
      </svg>
      <Legend series={series} />
    </figure>
  );
}
