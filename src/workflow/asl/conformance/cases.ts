/**
 * The conformance case format and its runner. Cases live in *.json files next to this
 * one: a definition (object or YAML text), an input, declarative fake tasks, and what
 * must come out (output or error, elapsed virtual time, invocations) — or, for invalid
 * definitions, which validation errors must be reported.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isNimbusError } from '../../../core/errors.ts';
import { parseStateMachine } from '../parse/validate.ts';
import { runToCompletion, type FakeTask, type FakeTasks } from '../testing/driver.ts';
import type { Json, JsonObject } from '../types.ts';

/** How a fake task behaves; `sequence` gives one behaviour per call (the last repeats). */
export type Behaviour =
  | { readonly returns: Json }
  | { readonly echo: true }
  | { readonly throws: { readonly name: string; readonly message?: string } }
  | { readonly sum: readonly string[] }
  | { readonly sequence: readonly Behaviour[] }
  | { readonly field: string }
  | { readonly arith: 'add' | 'subtract' };

export interface ConformanceCase {
  readonly name: string;
  /** Where the expectation comes from (spec section, AWS doc, or "Nimbus"). */
  readonly source?: string;
  readonly definition: JsonObject | string;
  readonly input?: Json;
  readonly tasks?: Readonly<Record<string, Behaviour>>;
  readonly latencyMs?: number;
  readonly stopAfterMs?: number;
  readonly executionId?: string;
  readonly expect?: {
    readonly status?: string;
    readonly output?: Json;
    readonly error?: string;
    readonly cause?: string;
    readonly causeIncludes?: string;
    readonly elapsedMs?: number;
    readonly transitions?: number;
    /** Payloads the fake tasks received, in call order: [functionName, payload]. */
    readonly invocations?: readonly (readonly [string, Json])[];
    readonly historyIncludes?: readonly string[];
  };
  readonly invalid?: readonly { readonly path?: string; readonly field?: string; readonly includes: string }[];
}

function behave(b: Behaviour, input: Json, call: number): unknown {
  if ('sequence' in b) return behave(b.sequence[Math.min(call, b.sequence.length - 1)], input, 0);
  if ('returns' in b) return b.returns;
  if ('echo' in b) return input;
  if ('throws' in b) throw { name: b.throws.name, message: b.throws.message ?? '' };
  if ('sum' in b) return b.sum.reduce((acc, k) => acc + Number((input as JsonObject)[k]), 0);
  if ('field' in b) return (input as JsonObject)[b.field];
  if ('arith' in b) {
    const [x, y] = input as number[];
    return b.arith === 'add' ? x + y : x - y;
  }
  throw new Error(`unknown behaviour ${JSON.stringify(b)}`);
}

function fakes(spec: ConformanceCase['tasks']): FakeTasks {
  const out: Record<string, FakeTask> = {};
  for (const [name, b] of Object.entries(spec ?? {})) {
    let calls = 0;
    out[name] = (input) => behave(b, input, calls++);
  }
  return out;
}

export async function runCase(c: ConformanceCase): Promise<void> {
  if (c.invalid !== undefined) {
    let thrown: unknown;
    try {
      parseStateMachine(c.definition);
    } catch (err) {
      thrown = err;
    }
    assert.ok(isNimbusError(thrown), `expected a validation error, got ${String(thrown)}`);
    assert.equal(thrown.code, 'NIMBUS_ERR_VALIDATION');
    const errors = (thrown.extra.errors ?? []) as { path: string; field: string | null; message: string }[];
    for (const want of c.invalid) {
      const hit = errors.find(
        (e) => e.message.includes(want.includes) && (want.path === undefined || e.path === want.path) && (want.field === undefined || e.field === want.field),
      );
      assert.ok(hit, `expected an error ${JSON.stringify(want)}; got ${JSON.stringify(errors, null, 1)}`);
    }
    return;
  }
  const r = await runToCompletion(c.definition, c.input ?? {}, fakes(c.tasks), {
    executionId: c.executionId ?? 'exec-1',
    ...(c.latencyMs !== undefined ? { latencyMs: c.latencyMs } : {}),
    ...(c.stopAfterMs !== undefined ? { stopAfterMs: c.stopAfterMs } : {}),
  });
  const e = c.expect ?? {};
  const summary = `status=${r.status} output=${JSON.stringify(r.output)} error=${r.error} cause=${r.cause}`;
  assert.equal(r.status, e.status ?? (e.error !== undefined ? 'FAILED' : 'SUCCEEDED'), summary);
  if ('output' in e) assert.deepEqual(r.output, e.output, summary);
  if (e.error !== undefined) assert.equal(r.error, e.error, summary);
  if (e.cause !== undefined) assert.equal(r.cause, e.cause, summary);
  if (e.causeIncludes !== undefined) assert.ok((r.cause ?? '').includes(e.causeIncludes), summary);
  if (e.elapsedMs !== undefined) assert.equal(r.elapsedMs, e.elapsedMs, `elapsed virtual time; ${summary}`);
  if (e.transitions !== undefined) assert.equal(r.transitions, e.transitions, 'transitions');
  if (e.invocations !== undefined) {
    const got = r.invocations.map((i) => [i.target.kind === 'function' ? i.target.name : `${i.target.method} ${i.target.url}`, i.payload]);
    assert.deepEqual(got, e.invocations);
  }
  for (const type of e.historyIncludes ?? []) {
    assert.ok(r.history.some((h) => h.type === type), `history has no ${type}`);
  }
}

export function loadCases(dir: URL): { file: string; cases: ConformanceCase[] }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, cases: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as ConformanceCase[] }));
}
