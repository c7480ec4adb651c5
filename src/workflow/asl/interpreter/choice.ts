/** Evaluation of JSONPath Choice Rules (boolean and data-test expressions). */
import { StatesError, StatesErrors } from '../errors.ts';
import { evaluatePath } from '../jsonpath/path.ts';
import { preview } from '../json.ts';
import type { ChoiceRule } from '../model.ts';
import { parseTimestamp } from '../timestamps.ts';
import type { Json } from '../types.ts';
import type { Env } from './dataflow.ts';

const patterns = new Map<string, RegExp>();

/** StringMatches: `*` matches any run of characters; `\*` and `\\` are literals. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let re = patterns.get(pattern);
  if (re === undefined) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '\\' && i + 1 < pattern.length) {
        source += pattern[i + 1].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        i++;
      } else if (c === '*') source += '.*';
      else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    re = new RegExp(`^${source}$`, 's');
    if (patterns.size > 1000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re.test(value);
}

function compare(op: string, a: Json, b: Json): boolean {
  const kind = op.startsWith('String') ? 'string' : op.startsWith('Numeric') ? 'number' : op.startsWith('Boolean') ? 'boolean' : 'timestamp';
  let x: string | number | boolean;
  let y: string | number | boolean;
  if (kind === 'timestamp') {
    const ta = parseTimestamp(a);
    const tb = parseTimestamp(b);
    if (ta === null || tb === null) return false;
    x = ta;
    y = tb;
  } else {
    if (typeof a !== kind || typeof b !== kind) return false;
    x = a as string | number | boolean;
    y = b as string | number | boolean;
  }
  const rel = op.replace(/^(String|Numeric|Boolean|Timestamp)/, '');
  switch (rel) {
    case 'Equals':
      return x === y;
    case 'LessThan':
      return x < y;
    case 'GreaterThan':
      return x > y;
    case 'LessThanEquals':
      return x <= y;
    case 'GreaterThanEquals':
      return x >= y;
    default:
      return false;
  }
}

export function evaluateRule(rule: ChoiceRule, env: Env): boolean {
  switch (rule.k) {
    case 'and':
      return rule.rules.every((r) => evaluateRule(r, env));
    case 'or':
      return rule.rules.some((r) => evaluateRule(r, env));
    case 'not':
      return !evaluateRule(rule.rule, env);
    case 'test':
      break;
  }
  const found = evaluatePath(rule.variable, env.sources);
  const present = found.found && !(rule.variable.definite === false && Array.isArray(found.value) && found.value.length === 0);
  if (rule.op === 'IsPresent') return present === rule.operand;
  if (!found.found) {
    throw new StatesError(
      StatesErrors.Runtime,
      `Invalid path '${rule.variable.source}': the Choice rule's Variable references a value that is not there (${found.reason}); test it with "IsPresent" first. Input: ${preview(env.input)}`,
    );
  }
  const value = found.value;
  switch (rule.op) {
    case 'IsNull':
      return (value === null) === rule.operand;
    case 'IsNumeric':
      return (typeof value === 'number') === rule.operand;
    case 'IsString':
      return (typeof value === 'string') === rule.operand;
    case 'IsBoolean':
      return (typeof value === 'boolean') === rule.operand;
    case 'IsTimestamp':
      return (parseTimestamp(value) !== null) === rule.operand;
    case 'StringMatches':
      return typeof value === 'string' && wildcardMatch(rule.operand as string, value);
    default:
      break;
  }
  let operand = rule.operand;
  if (rule.operandPath !== null) {
    const r = evaluatePath(rule.operandPath, env.sources);
    if (!r.found) {
      throw new StatesError(StatesErrors.Runtime, `Invalid path '${rule.operandPath.source}' in ${rule.op}Path: ${r.reason}`);
    }
    operand = r.value;
  }
  return compare(rule.op, value, operand);
}
