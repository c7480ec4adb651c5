/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): parse and make `traceparent`
 * values. Every invocation gets a span; it joins the caller's trace when one came in
 * (HTTP header, async submit, workflow), else starts a trace of its own.
 */
import { randomFillSync } from 'node:crypto';

export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  /** The caller's span; null at the root of a trace. */
  readonly parentSpanId: string | null;
  /** Trace flags from the caller (01 = sampled). */
  readonly flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** The caller's trace id, span and flags, or null when the header is absent or invalid. */
export function parseTraceparent(value: string | null | undefined): { traceId: string; parentId: string; flags: string } | null {
  if (!value) return null;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return null;
  const [, version, traceId, parentId, flags] = m;
  // Version ff is invalid; a future version may append fields (allowed by the regex only then).
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  return { traceId, parentId, flags };
}

export function formatTraceparent(ctx: Pick<TraceContext, 'traceId' | 'spanId' | 'flags'>): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}`;
}

/**
 * Trace and span ids, cheap enough for every invocation: a random per-process prefix and
 * a counter (unique within the process, and across processes with overwhelming odds). Each
 * is written as bytes and read out as a flat string: joined strings would be flattened
 * (copied) again wherever they are hashed, cloned to the writer thread or stored. A new
 * trace's two ids are read out of one buffer as one string and sliced (one call into the
 * runtime, not two: ~0.1 µs a request).
 */
export function hexIds(random: (buf: Uint8Array) => void = (b) => void randomFillSync(b)) {
  const seed = new Uint8Array(12);
  random(seed);
  // trace: 24 hex of seed + 8 of counter; span: the first 8 of those + 8 of counter
  const both = Buffer.alloc(48);
  for (let i = 0; i < 12; i++) {
    both[2 * i] = HEX[seed[i] >> 4];
    both[2 * i + 1] = HEX[seed[i] & 15];
  }
  both.copy(both, 32, 0, 8);
  const span = Buffer.from(both.subarray(32));
  let n = (seed[0] << 16) | (seed[1] << 8) | seed[2];
  const count = (out: Buffer, at: number): void => {
    n = (n + 1) >>> 0;
    for (let i = 7, v = n; i >= 0; i--, v >>>= 4) out[at + i] = HEX[v & 15];
  };
  return {
    spanId: (): string => {
      count(span, 8);
      return span.toString('latin1');
    },
    /** A new trace's id and its first span's id. */
    root: (): { traceId: string; spanId: string } => {
      count(both, 24);
      count(both, 40);
      const s = both.toString('latin1');
      return { traceId: s.slice(0, 32), spanId: s.slice(32) };
    },
  };
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** The invocation's context: a child span of `incoming` when valid, else a new trace. */
export function startSpan(incoming: string | null | undefined, ids: ReturnType<typeof hexIds>): TraceContext {
  const parent = parseTraceparent(incoming);
  if (parent) return { traceId: parent.traceId, spanId: ids.spanId(), parentSpanId: parent.parentId, flags: parent.flags };
  const { traceId, spanId } = ids.root();
  return { traceId, spanId, parentSpanId: null, flags: '01' };
}
