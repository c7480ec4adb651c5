/**
 * Input and output processing shared by every state: the evaluation environment (input,
 * Context Object, variables through the scope chain), InputPath/OutputPath/ResultPath,
 * payload templates and JSONata templates, and typed runtime values.
 */
import { MAX_SECONDS } from '../limits.ts';
import { StatesError, StatesErrors } from '../errors.ts';
import { evaluateJsonata, type JsonataEnv, type JsonataNode } from '../jsonata/expr.ts';
import { evaluatePath, setAtPath, type PathSources } from '../jsonpath/path.ts';
import { evaluateTemplate, type TemplateNode } from '../jsonpath/template.ts';
import { preview, typeName } from '../json.ts';
import type { AssignSpec, Dyn, IoPath, Payload, ResultPathSpec } from '../model.ts';
import type { Json, JsonObject, QueryLanguage, Random } from '../types.ts';

/** What a state evaluates against. `input` is what `$` means for JSONPath fields. */
export class Env {
  constructor(
    readonly input: Json,
    readonly context: JsonObject,
    /** Variable maps visible to the state, innermost scope first. */
    readonly scopes: readonly JsonObject[],
    readonly now: number,
    readonly random: Random,
  ) {}

  withInput(input: Json): Env {
    return new Env(input, this.context, this.scopes, this.now, this.random);
  }

  withContext(extra: JsonObject): Env {
    return new Env(this.input, { ...this.context, ...extra }, this.scopes, this.now, this.random);
  }

  variable = (name: string): Json | undefined => {
    for (const vars of this.scopes) if (Object.prototype.hasOwnProperty.call(vars, name)) return vars[name];
    return undefined;
  };

  get sources(): PathSources {
    return { input: this.input, context: this.context, variable: this.variable };
  }

  jsonata(states: { input: Json; result?: Json; errorOutput?: Json }): JsonataEnv {
    const vars: JsonObject = {};
    for (let i = this.scopes.length - 1; i >= 0; i--) Object.assign(vars, this.scopes[i]);
    const s: JsonObject = { input: states.input, context: this.context };
    if (states.result !== undefined) s.result = states.result;
    if (states.errorOutput !== undefined) s.errorOutput = states.errorOutput;
    return { vars, states: s, now: this.now, random: this.random };
  }
}

function runtime(message: string): never {
  throw new StatesError(StatesErrors.Runtime, message);
}

/** InputPath / OutputPath: `$` keeps the value, null yields {}, a path selects. */
export function applyIoPath(io: IoPath, value: Json, env: Env, field: 'InputPath' | 'OutputPath'): Json {
  if (io.k === 'all') return value;
  if (io.k === 'discard') return {};
  const r = evaluatePath(io.path, { ...env.withInput(value).sources });
  if (!r.found) runtime(`Invalid path '${io.path.source}' in ${field}: ${r.reason}; the input was ${preview(value)}`);
  return r.value;
}

/** ResultPath: places the result into the raw input (null keeps the input as is). */
export function applyResultPath(spec: ResultPathSpec, rawInput: Json, result: Json): Json {
  if (spec.k === 'discard') return rawInput;
  try {
    return setAtPath(rawInput, spec.segments, result);
  } catch (err) {
    throw new StatesError(
      StatesErrors.ResultPathMatchFailure,
      `Unable to apply ResultPath '${spec.source}' to the input ${preview(rawInput)}: ${(err as Error).message}`,
    );
  }
}

export function evalTemplate(node: TemplateNode, env: Env, pathError?: string): Json {
  return evaluateTemplate(node, { sources: env.sources, random: env.random }, pathError);
}

export async function evalJsonata(node: JsonataNode, env: Env, states: { input: Json; result?: Json; errorOutput?: Json }): Promise<Json> {
  return evaluateJsonata(node, env.jsonata(states));
}

/** Parameters/Arguments/ItemSelector/Credentials in the state's language. */
export async function evalPayload(p: Payload, env: Env, stateInput: Json): Promise<Json> {
  return p.ql === 'JSONPath' ? evalTemplate(p.node, env) : evalJsonata(p.node, env, { input: stateInput });
}

/** Assign: returns the new values (applied by the caller after the state completes). */
export async function evalAssign(
  spec: AssignSpec | null,
  env: Env,
  states: { input: Json; result?: Json; errorOutput?: Json },
): Promise<JsonObject | null> {
  if (spec === null) return null;
  const v = spec.ql === 'JSONPath' ? evalTemplate(spec.node, env) : await evalJsonata(spec.node, env, states);
  return v as JsonObject;
}

/** A Dyn field: literal, JSONPath path/intrinsic (against env.input), or JSONata. */
export async function evalDyn(dyn: Dyn, env: Env, stateInput: Json): Promise<Json> {
  if (dyn.k === 'lit') return dyn.v;
  if (dyn.k === 'tmpl') return evalTemplate(dyn.node, env, StatesErrors.Runtime);
  return evalJsonata(dyn.node, env, { input: stateInput });
}

/** Raises the language's error for a runtime value of the wrong type. */
export function badValue(ql: QueryLanguage, field: string, want: string, got: Json): never {
  const error = ql === 'JSONata' ? StatesErrors.QueryEvaluationError : StatesErrors.Runtime;
  throw new StatesError(error, `${field} must be ${want}, but it evaluated to ${preview(got)} (${typeName(got)})`);
}

export async function evalInteger(
  dyn: Dyn | null,
  env: Env,
  stateInput: Json,
  ql: QueryLanguage,
  field: string,
  min: number,
  max: number = MAX_SECONDS,
): Promise<number | null> {
  if (dyn === null) return null;
  const v = await evalDyn(dyn, env, stateInput);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    badValue(ql, field, `${min > 0 ? 'a positive' : 'a non-negative'} integer up to ${max}`, v);
  }
  return v;
}
