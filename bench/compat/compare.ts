/**
 * The verdict on one package: the probe's output in Nimbus against its output in plain
 * Node. Pure: data in, verdict out (compare.test.ts).
 */
import type { Outcome } from './outcome.ts';

/** What running the probe in Nimbus gave: its Outcome, or why there was none. */
export type NimbusRun =
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
  readonly nimbus: unknown;
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** The first place (depth first, keys in sorted order) where two JSON values differ, or null. */
export function firstDifference(node: unknown, nimbus: unknown, path = '$'): Difference | null {
  if (Object.is(node, nimbus)) return null;
  const kn = kind(node);
  if (kn !== kind(nimbus) || (kn !== 'array' && kn !== 'object')) return { path, node, nimbus };
  if (kn === 'array') {
    const a = node as unknown[];
    const b = nimbus as unknown[];
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return a.length === b.length ? null : { path: `${path}.length`, node: a.length, nimbus: b.length };
  }
  const a = node as Record<string, unknown>;
  const b = nimbus as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    const p = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
    if (!(k in a)) return { path: p, node: undefined, nimbus: b[k] };
    if (!(k in b)) return { path: p, node: a[k], nimbus: undefined };
    const d = firstDifference(a[k], b[k], p);
    if (d) return d;
  }
  return null;
}

/** A value shown in a sentence: JSON, cut to `max` characters. */
export function brief(v: unknown, max = 80): string {
  const s = v === undefined ? 'absent' : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function verdict(node: Outcome, nimbus: NimbusRun): Verdict {
  if (!node.ok) return { status: 'probe-broken', why: `the probe fails in plain Node too: ${node.error}` };
  if (nimbus.kind !== 'ran') return { status: 'fails', why: `${nimbus.kind === 'deploy-failed' ? 'deploy refused' : 'crashed'}: ${nimbus.why}` };
  if (!nimbus.outcome.ok) return { status: 'fails', why: nimbus.outcome.error };
  const d = firstDifference(node.value, nimbus.outcome.value);
  if (d === null) return { status: 'works', why: '' };
  return { status: 'differs', why: `${d.path}: Node ${brief(d.node)}, Nimbus ${brief(d.nimbus)}` };
}
