/** Choice rules: JSONPath boolean/data-test expressions and JSONata Conditions. */
import { isJsonataString } from '../jsonata/expr.ts';
import { isObject, typeName } from '../json.ts';
import type { AssignSpec, ChoiceRule, TopChoice } from '../model.ts';
import { isTimestamp } from '../timestamps.ts';
import type { Json, QueryLanguage } from '../types.ts';
import type { Site } from './issues.ts';

type OperandKind = 'string' | 'number' | 'boolean' | 'timestamp' | 'pattern';

const BASE_OPERATORS: Record<string, OperandKind> = {
  StringEquals: 'string',
  StringLessThan: 'string',
  StringGreaterThan: 'string',
  StringLessThanEquals: 'string',
  StringGreaterThanEquals: 'string',
  StringMatches: 'pattern',
  NumericEquals: 'number',
  NumericLessThan: 'number',
  NumericGreaterThan: 'number',
  NumericLessThanEquals: 'number',
  NumericGreaterThanEquals: 'number',
  BooleanEquals: 'boolean',
  TimestampEquals: 'timestamp',
  TimestampLessThan: 'timestamp',
  TimestampGreaterThan: 'timestamp',
  TimestampLessThanEquals: 'timestamp',
  TimestampGreaterThanEquals: 'timestamp',
  IsNull: 'boolean',
  IsPresent: 'boolean',
  IsNumeric: 'boolean',
  IsString: 'boolean',
  IsBoolean: 'boolean',
  IsTimestamp: 'boolean',
};

export const COMPARISON_OPERATORS: ReadonlySet<string> = new Set([
  ...Object.keys(BASE_OPERATORS),
  ...Object.keys(BASE_OPERATORS).filter((k) => !k.startsWith('Is') && k !== 'StringMatches').map((k) => `${k}Path`),
]);

/** Validates a StringMatches pattern: only \* and \\ are escapes. */
export function checkPattern(pattern: string): string | null {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') {
      const n = pattern[i + 1];
      if (n !== '*' && n !== '\\') return `open escape "\\${n ?? ''}" in StringMatches (only \\* and \\\\ are escapes)`;
      i++;
    }
  }
  return null;
}

function checkOperand(kind: OperandKind, v: Json): string | null {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? null : `must be a string, got ${typeName(v)}`;
    case 'pattern':
      return typeof v === 'string' ? checkPattern(v) : `must be a string, got ${typeName(v)}`;
    case 'number':
      return typeof v === 'number' ? null : `must be a number, got ${typeName(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? null : `must be a boolean, got ${typeName(v)}`;
    case 'timestamp':
      return isTimestamp(v) ? null : `must be an RFC 3339 timestamp such as "2016-03-14T01:59:00Z", got ${JSON.stringify(v)}`;
  }
}

function compileRule(site: Site, value: Json, top: boolean): ChoiceRule | null {
  if (!isObject(value)) {
    site.report(`a choice rule must be an object`);
    return null;
  }
  const allowedExtra = new Set(top ? ['Next', 'Assign', 'Comment'] : ['Comment']);
  const keys = Object.keys(value).filter((k) => !allowedExtra.has(k));
  if (!top && value.Next !== undefined) site.at('Next').report(`a nested choice rule must not have "Next"`);
  const combinators = keys.filter((k) => k === 'And' || k === 'Or' || k === 'Not');
  if (combinators.length > 0) {
    if (keys.length > 1) site.report(`a boolean expression must hold only one of And, Or, Not; found ${keys.join(', ')}`);
    const op = combinators[0];
    const operand = value[op];
    if (op === 'Not') {
      const rule = compileRule(site.at('Not'), operand, false);
      return rule === null ? null : { k: 'not', rule };
    }
    if (!Array.isArray(operand) || operand.length === 0) {
      site.at(op).report(`${op} must be a non-empty array of choice rules`);
      return null;
    }
    const rules = operand.map((r, i) => compileRule(site.at(op, i), r, false));
    if (rules.some((r) => r === null)) return null;
    return { k: op === 'And' ? 'and' : 'or', rules: rules as ChoiceRule[] };
  }
  const ops = keys.filter((k) => k !== 'Variable');
  for (const k of ops) if (!COMPARISON_OPERATORS.has(k)) site.at(k).report(`"${k}" is not a comparison operator`);
  const known = ops.filter((k) => COMPARISON_OPERATORS.has(k));
  if (value.Variable === undefined) {
    site.report(`a data-test expression needs "Variable" (or use And, Or, Not)`);
    return null;
  }
  const variable = site.at('Variable').path_(value.Variable, 'Variable');
  if (known.length !== 1) {
    if (known.length === 0) site.report(`a data-test expression needs exactly one comparison operator`);
    else site.report(`a data-test expression must have exactly one comparison operator; found ${known.join(', ')}`);
    return null;
  }
  const op = known[0];
  const operand = value[op];
  if (op.endsWith('Path')) {
    const operandPath = site.at(op).path_(operand, op);
    if (variable === null || operandPath === null) return null;
    return { k: 'test', variable, op: op.slice(0, -4), operand: null, operandPath };
  }
  const problem = checkOperand(BASE_OPERATORS[op], operand);
  if (problem !== null) {
    site.at(op).report(`${op} ${problem}`);
    return null;
  }
  if (variable === null) return null;
  return { k: 'test', variable, op, operand, operandPath: null };
}

export function compileChoices(
  site: Site,
  value: Json | undefined,
  ql: QueryLanguage,
  assign: (site: Site, value: Json) => AssignSpec | null,
): TopChoice[] {
  if (!Array.isArray(value) || value.length === 0) {
    site.report(`Choices must be a non-empty array of choice rules`);
    return [];
  }
  const out: TopChoice[] = [];
  value.forEach((raw, i) => {
    const s = site.at(i);
    if (!isObject(raw)) {
      s.report(`a choice rule must be an object`);
      return;
    }
    if (typeof raw.Next !== 'string') s.at('Next').report(`a top-level choice rule must have a "Next" state name`);
    const assignSpec = raw.Assign === undefined ? null : assign(s.at('Assign'), raw.Assign);
    if (ql === 'JSONata') {
      for (const key of Object.keys(raw)) {
        if (!['Condition', 'Next', 'Assign', 'Output', 'Comment'].includes(key)) {
          s.at(key).report(`the field "${key}" is not supported in a JSONata choice rule${key === 'Variable' || key === 'And' || key === 'Or' || key === 'Not' ? '; use "Condition"' : ''}`);
        }
      }
      let condition = null;
      if (raw.Condition === undefined) s.report(`a JSONata choice rule needs a "Condition"`);
      else if (typeof raw.Condition === 'boolean') condition = { k: 'lit' as const, v: raw.Condition };
      else if (isJsonataString(raw.Condition)) condition = s.at('Condition').dyn(raw.Condition, 'Condition', () => null);
      else s.at('Condition').report(`Condition must be a boolean or a {% %} JSONata expression`);
      const output = raw.Output === undefined ? null : s.at('Output').jsonataTemplate(raw.Output);
      if (condition !== null && typeof raw.Next === 'string') {
        out.push({ rule: null, condition, next: raw.Next, assign: assignSpec, output });
      }
      return;
    }
    if (raw.Condition !== undefined || raw.Output !== undefined) {
      s.report(`"Condition" and "Output" are JSONata fields; this state uses JSONPath`);
    }
    const { Condition: _condition, Output: _output, ...rest } = raw;
    const rule = compileRule(s, rest, true);
    if (rule !== null && typeof raw.Next === 'string') {
      out.push({ rule, condition: null, next: raw.Next, assign: assignSpec, output: null });
    }
  });
  return out;
}
