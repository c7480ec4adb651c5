/**
 * The verdict on one package: the probe's output in a runtime (Nimbus, workerd) against its
 * output in plain Node. Pure: data in, verdict out (compare.test.ts).
 */
import type { Outcome } from './outcome.ts';

/** What running the probe in a runtime gave: its Outcome, or why there was none. */
export type TargetRun =
  | { readonly kind: 'ran'; readonly outcome: Outcome }
  | { readonly kind: 'deploy-failed' | 'crash'; readonly why: string };

export type Status = 'works' | 'differs' | 'fails' | 'probe-broken';

export interface Verdict {
  readonly status: Status;
  /** Empty when it works; else the first difference, the error, or the deploy's refusal. */
  readonly why: string;
}

export interface Difference {
  readonly path: string;
  readonly node: unknown;
  readonly target: unknown;
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** The first place (depth first, keys in sorted order) where two JSON values differ, or null. */
export function firstDifference(node: unknown, target: unknown, path = '$'): Difference | null {
  if (Object.is(node, target)) return null;
  const kn = kind(node);
  if (kn !== kind(target) || (kn !== 'array' && kn !== 'object')) return { path, node, target };
  if (kn === 'array') {
    const a = node as unknown[];
    const b = target as unknown[];
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return a.length === b.length ? null : { path: `${path}.length`, node: a.length, target: b.length };
  }
  const a = node as Record<string, unknown>;
  const b = target as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    const p = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
    if (!(k in a)) return { path: p, node: undefined, target: b[k] };
    if (!(k in b)) return { path: p, node: a[k], target: undefined };
    const d = firstDifference(a[k], b[k], p);
    if (d) return d;
  }
  return null;
}

/**
 * Why `nimbus deploy` failed, from its output: its first error (the line after `nimbus:`,
 * with the bundle path before the first `: ` left out when it is a file position), else the
 * output's last lines.
 */
export function cliError(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines.find((l) => l.startsWith('nimbus: '));
  if (first === undefined) return lines.slice(-3).join(' / ').slice(0, 600);
  const text = first.slice('nimbus: '.length);
  return text.replace(/^\S*\.[cm]?[jt]s:\d+:\d+: /, '').slice(0, 600);
}

/** A value shown in a sentence: JSON, cut to `max` characters. */
export function brief(v: unknown, max = 80): string {
  const s = v === undefined ? 'absent' : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function verdict(node: Outcome, run: TargetRun, label = 'Nimbus'): Verdict {
  if (!node.ok) return { status: 'probe-broken', why: `the probe fails in plain Node too: ${node.error}` };
  if (run.kind !== 'ran') return { status: 'fails', why: `${run.kind === 'deploy-failed' ? 'deploy refused' : 'crashed'}: ${run.why}` };
  if (!run.outcome.ok) return { status: 'fails', why: run.outcome.error };
  const d = firstDifference(node.value, run.outcome.value);
  if (d === null) return { status: 'works', why: '' };
  return { status: 'differs', why: `${d.path}: Node ${brief(d.node)}, ${label} ${brief(d.target)}` };
}
