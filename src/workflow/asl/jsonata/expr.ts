/**
 * JSONata in ASL: any string "{% … %}" inside Arguments, Output, Assign, ItemSelector,
 * Items, Condition and the numeric/string fields is an expression, compiled once at parse
 * time. Expressions see the state machine variables and `$states` (input, result,
 * errorOutput, context). Time and randomness come from the caller: `$now()`, `$millis()`,
 * `$random()` and `$uuid()` are rebound so a replay evaluates identically. The Step
 * Functions extras `$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid` and `$parse`
 * are provided.
 */
import { createRequire } from 'node:module';
import type jsonataLibrary from 'jsonata';
import { StatesError, StatesErrors } from '../errors.ts';
import { isObject, toJson } from '../json.ts';
import { applyIntrinsic } from '../jsonpath/intrinsics.ts';
import { seededRandom, uuidV4 } from '../random.ts';
import type { Json, JsonObject, Random } from '../types.ts';
import { MAX_JSON_DEPTH, jsonValueTooDeep } from '../../../core/json-depth.ts';

type Expression = ReturnType<typeof jsonataLibrary>;

/**
 * Bounds on one evaluation, checked by the library at each step: JSONata runs in the
 * platform's own thread and its evaluation yields only to microtasks, so an expression that
 * never ends (a tail call is a loop) would hold the whole platform. Past them the library
 * throws D1012 (time) or D1011 (nesting), which become States.QueryEvaluationError.
 */
export const JSONATA_TIMEOUT_MS = 1_000;
export const JSONATA_MAX_STACK = 1_000;

/** The library is loaded with the first expression compiled: a platform whose workflows use none never loads it. */
let library: typeof jsonataLibrary | null = null;
function jsonata(source: string): Expression {
  library ??= createRequire(import.meta.url)('jsonata') as typeof jsonataLibrary;
  return library(source, { timeout: JSONATA_TIMEOUT_MS, stack: JSONATA_MAX_STACK });
}

export type JsonataNode =
  | { readonly k: 'lit'; readonly v: Json }
  | { readonly k: 'expr'; readonly source: string; readonly expr: Expression }
  | { readonly k: 'obj'; readonly fields: readonly { readonly key: string; readonly node: JsonataNode }[] }
  | { readonly k: 'arr'; readonly items: readonly JsonataNode[] };

export interface JsonataIssue {
  readonly at: string;
  readonly message: string;
}

export function isJsonataString(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{%') && value.endsWith('%}') && value.length >= 4;
}

/** Compiles one "{% … %}" string; records an issue and returns null when invalid. */
export function compileJsonataString(value: string, issues: JsonataIssue[], at: string): JsonataNode | null {
  const source = value.slice(2, -2).trim();
  if (source === '') {
    issues.push({ at, message: 'the JSONata expression is empty' });
    return null;
  }
  let expr: Expression;
  try {
    expr = jsonata(source);
  } catch (err) {
    const e = err as { message?: string; position?: number };
    issues.push({ at, message: `JSONata syntax error: ${e.message ?? String(err)}${e.position !== undefined ? ` (at ${e.position})` : ''}` });
    return null;
  }
  const restriction = checkRestrictions(expr.ast() as unknown as AstNode, false);
  if (restriction !== null) {
    issues.push({ at, message: restriction });
    return null;
  }
  return { k: 'expr', source, expr };
}

/** Compiles a JSON value in which any string may be a JSONata expression. */
export function compileJsonataTemplate(value: Json, issues: JsonataIssue[], at = ''): JsonataNode {
  if (isJsonataString(value)) return compileJsonataString(value, issues, at) ?? { k: 'lit', v: null };
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileJsonataTemplate(v, issues, `${at}/${i}`));
    return items.every((n) => n.k === 'lit') ? { k: 'lit', v: value } : { k: 'arr', items };
  }
  if (isObject(value)) {
    const fields = Object.entries(value).map(([key, v]) => ({ key, node: compileJsonataTemplate(v, issues, `${at}/${key}`) }));
    return fields.every((f) => f.node.k === 'lit') ? { k: 'lit', v: value } : { k: 'obj', fields };
  }
  return { k: 'lit', v: value };
}

interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  [k: string]: unknown;
}

/**
 * ASL forbids reading an implicit input document: no `$$`, and no `$` or bare field name
 * at the top level of an expression (they are fine inside predicates and path steps).
 */
function checkRestrictions(node: unknown, inContext: boolean): string | null {
  if (Array.isArray(node)) {
    for (const n of node) {
      const r = checkRestrictions(n, inContext);
      if (r !== null) return r;
    }
    return null;
  }
  if (typeof node !== 'object' || node === null) return null;
  const n = node as AstNode;
  if (n.type === 'variable' && n.value === '$') return 'JSONata expressions must not use "$$"; read data through $states or variables';
  if (n.type === 'variable' && n.value === '' && !inContext) {
    return 'JSONata expressions must not use "$" at the top level; read the state input as $states.input';
  }
  if (n.type === 'name' && !inContext) {
    return `JSONata expressions must not use the bare field name "${String(n.value)}" at the top level; use $states.input.${String(n.value)}`;
  }
  if (n.type === 'lambda') return null;
  for (const [key, child] of Object.entries(n)) {
    if (key === 'position' || key === 'value' || key === 'type') continue;
    if (key === 'steps' && Array.isArray(child)) {
      for (let i = 0; i < child.length; i++) {
        const r = checkRestrictions(child[i], i === 0 ? inContext : true);
        if (r !== null) return r;
      }
      continue;
    }
    const ctx = key === 'predicate' || key === 'stages' || key === 'group' ? true : inContext;
    const r = checkRestrictions(child, ctx);
    if (r !== null) return r;
  }
  return null;
}

export interface JsonataEnv {
  /** Every variable visible in the state's scope chain, outer first. */
  readonly vars: JsonObject;
  /** The reserved `$states` object. */
  readonly states: JsonObject;
  readonly now: number;
  readonly random: Random;
}

let fromMillis: Expression | null = null;

function bindings(env: JsonataEnv): Record<string, unknown> {
  const callIntrinsic = (name: string, args: unknown[]): Json => {
    const jsonArgs = args.map((a) => {
      const j = toJson(a);
      if (j === undefined) throw new Error(`${name}: arguments must be JSON values`);
      return j;
    });
    return applyIntrinsic(name, jsonArgs, env.random);
  };
  // Variables shadow the helper functions (a variable may be called `range`); `$states` wins over all.
  return {
    now: (picture?: string, timezone?: string) =>
      picture === undefined && timezone === undefined
        ? new Date(env.now).toISOString()
        : (fromMillis ??= jsonata('$fromMillis($m, $p, $t)')).evaluate(undefined, { m: env.now, p: picture, t: timezone }),
    millis: () => env.now,
    random: (seed?: unknown) => (seed === undefined ? env.random() : seededRandom(`random:${String(seed)}`)()),
    uuid: () => uuidV4(env.random),
    partition: (array: unknown, size: unknown) => callIntrinsic('States.ArrayPartition', [array, size]),
    range: (start: unknown, end: unknown, step: unknown) => callIntrinsic('States.ArrayRange', [start, end, step]),
    hash: (data: unknown, algorithm: unknown) => callIntrinsic('States.Hash', [data, algorithm]),
    parse: (text: unknown) => {
      if (typeof text !== 'string') throw new Error('$parse expects a string');
      const value = JSON.parse(text) as unknown;
      if (jsonValueTooDeep(value)) throw new Error(`$parse: the JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
      return value;
    },
    ...env.vars,
    states: env.states,
  };
}

export async function evaluateJsonata(node: JsonataNode, env: JsonataEnv): Promise<Json> {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'arr': {
      const out: Json[] = [];
      for (const item of node.items) out.push(await evaluateJsonata(item, env));
      return out;
    }
    case 'obj': {
      const out: JsonObject = {};
      for (const f of node.fields) out[f.key] = await evaluateJsonata(f.node, env);
      return out;
    }
    case 'expr': {
      let raw: unknown;
      try {
        raw = await node.expr.evaluate(undefined, bindings(env));
      } catch (err) {
        const e = err as { message?: string; code?: string };
        throw new StatesError(
          StatesErrors.QueryEvaluationError,
          `An error occurred while evaluating the JSONata expression '${node.source}': ${e.code ? `${e.code} ` : ''}${e.message ?? String(err)}`,
        );
      }
      if (raw === undefined) {
        throw new StatesError(
          StatesErrors.QueryEvaluationError,
          `The JSONata expression '${node.source}' returned no value (undefined); JSON cannot represent it`,
        );
      }
      const json = toJson(raw);
      if (json === undefined) {
        throw new StatesError(
          StatesErrors.QueryEvaluationError,
          `The JSONata expression '${node.source}' returned a value that is not JSON (a function, NaN or Infinity)`,
        );
      }
      return json;
    }
  }
}
