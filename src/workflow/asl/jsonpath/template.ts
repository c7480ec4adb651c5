/**
 * Payload Templates (Parameters, ResultSelector, ItemSelector, JSONPath Assign). A field
 * whose name ends in ".$" takes its value from a Path ($…, $$…, $var…) or an Intrinsic
 * Function and loses the suffix. Compiled once: static subtrees stay literal values.
 */
import { StatesError, StatesErrors } from '../errors.ts';
import { isObject, preview } from '../json.ts';
import type { Json, JsonObject } from '../types.ts';
import { checkIntrinsic, evaluateIntrinsic, type IntrinsicEnv } from './intrinsics.ts';
import { nestingDepth, parseIntrinsic, type IntrinsicCall } from './intrinsic-parser.ts';
import { compilePath, evaluatePath, type CompiledPath } from './path.ts';

export type TemplateNode =
  | { readonly k: 'lit'; readonly v: Json }
  | { readonly k: 'obj'; readonly fields: readonly { readonly key: string; readonly node: TemplateNode }[] }
  | { readonly k: 'arr'; readonly items: readonly TemplateNode[] }
  | { readonly k: 'path'; readonly path: CompiledPath; readonly field: string }
  | { readonly k: 'fn'; readonly call: IntrinsicCall; readonly field: string };

export interface TemplateIssue {
  /** JSON-pointer-ish location below the template's own field, e.g. `/parts/first.$`. */
  readonly at: string;
  readonly message: string;
}

const MAX_INTRINSIC_NESTING = 10;

/** Compiles a ".$"-valued string (Path or Intrinsic Function); null + issue when invalid. */
export function compileDynamic(
  value: string,
  field: string,
  at: string,
  issues: TemplateIssue[],
): TemplateNode | null {
  if (value.startsWith('$')) {
    try {
      return { k: 'path', path: compilePath(value), field };
    } catch (err) {
      issues.push({ at, message: (err as Error).message });
      return null;
    }
  }
  try {
    const call = parseIntrinsic(value);
    const problem = checkIntrinsic(call);
    if (problem !== null) {
      issues.push({ at, message: problem });
      return null;
    }
    if (nestingDepth(call) > MAX_INTRINSIC_NESTING) {
      issues.push({ at, message: `intrinsic functions may be nested at most ${MAX_INTRINSIC_NESTING} deep` });
      return null;
    }
    return { k: 'fn', call, field };
  } catch (err) {
    issues.push({ at, message: (err as Error).message });
    return null;
  }
}

export function compileTemplate(value: Json, issues: TemplateIssue[], at = ''): TemplateNode {
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileTemplate(v, issues, `${at}/${i}`));
    return items.every((n) => n.k === 'lit') ? { k: 'lit', v: value } : { k: 'arr', items };
  }
  if (!isObject(value)) return { k: 'lit', v: value };
  const fields: { key: string; node: TemplateNode }[] = [];
  const seen = new Set<string>();
  for (const [rawKey, v] of Object.entries(value)) {
    const dynamic = rawKey.endsWith('.$');
    const key = dynamic ? rawKey.slice(0, -2) : rawKey;
    const here = `${at}/${rawKey}`;
    if (seen.has(key)) {
      issues.push({ at: here, message: `the field "${key}" appears twice once ".$" suffixes are removed` });
      continue;
    }
    seen.add(key);
    if (!dynamic) {
      fields.push({ key, node: compileTemplate(v, issues, here) });
      continue;
    }
    if (typeof v !== 'string') {
      issues.push({ at: here, message: `a field ending in ".$" must hold a Path or an Intrinsic Function string` });
      continue;
    }
    const node = compileDynamic(v, rawKey, here, issues);
    if (node !== null) fields.push({ key, node });
  }
  if (fields.every((f) => f.node.k === 'lit')) {
    const lit: JsonObject = {};
    for (const f of fields) lit[f.key] = (f.node as { v: Json }).v;
    return { k: 'lit', v: lit };
  }
  return { k: 'obj', fields };
}

/**
 * Evaluates a compiled template. A path that cannot be applied raises `pathError`
 * (States.ParameterPathFailure by default); an intrinsic failure raises
 * States.IntrinsicFailure.
 */
export function evaluateTemplate(
  node: TemplateNode,
  env: IntrinsicEnv,
  pathError: string = StatesErrors.ParameterPathFailure,
): Json {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'arr':
      return node.items.map((n) => evaluateTemplate(n, env, pathError));
    case 'obj': {
      const out: JsonObject = {};
      for (const f of node.fields) out[f.key] = evaluateTemplate(f.node, env, pathError);
      return out;
    }
    case 'path': {
      const r = evaluatePath(node.path, env.sources);
      if (!r.found) {
        const where = node.path.root === 'context' ? 'the context object' : node.path.root === 'variable' ? 'the variables' : `the input '${preview(env.sources.input)}'`;
        throw new StatesError(
          pathError,
          `The JSONPath '${node.path.source}' specified for the field '${node.field}' could not be found in ${where} (${r.reason})`,
        );
      }
      return r.value;
    }
    case 'fn':
      return evaluateIntrinsic(node.call, env);
  }
}
