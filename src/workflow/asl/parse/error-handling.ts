/** Retry and Catch: retriers, catchers and their ErrorEquals rules. */
import { MAX_SECONDS } from '../limits.ts';
import { PREDEFINED_ERRORS, StatesErrors } from '../errors.ts';
import { isObject, typeName } from '../json.ts';
import type { AssignSpec, Catcher, Retrier, ResultPathSpec } from '../model.ts';
import type { Json, QueryLanguage } from '../types.ts';
import { catcherFields, RETRIER_FIELDS } from './fields.ts';
import type { Site } from './issues.ts';

function errorEquals(site: Site, value: Json, isLast: boolean, kind: 'Retrier' | 'Catcher'): string[] | null {
  const s = site.at('ErrorEquals');
  if (!Array.isArray(value) || value.length === 0) {
    s.report(`ErrorEquals must be a non-empty array of error names`);
    return null;
  }
  const names: string[] = [];
  value.forEach((v, i) => {
    if (typeof v !== 'string' || v === '') {
      s.at(i).report(`error names must be non-empty strings, got ${typeName(v)}`);
      return;
    }
    if (v.startsWith('States.') && !PREDEFINED_ERRORS.has(v) && !v.startsWith('States.Http.StatusCode.')) {
      s.at(i).report(`"${v}" is not a predefined error; names starting with "States." are reserved`);
    }
    names.push(v);
  });
  if (names.includes(StatesErrors.ALL)) {
    if (names.length > 1) s.report(`"States.ALL" must appear alone in ErrorEquals`);
    if (!isLast) s.report(`the ${kind} with "States.ALL" must be the last one`);
  }
  return names;
}

export function compileRetry(site: Site, value: Json | undefined): Retrier[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    site.report(`Retry must be an array of retriers`);
    return [];
  }
  const out: Retrier[] = [];
  value.forEach((r, i) => {
    const s = site.at(i);
    if (!isObject(r)) {
      s.report(`a retrier must be an object`);
      return;
    }
    for (const key of Object.keys(r)) if (!RETRIER_FIELDS.has(key)) s.at(key).report(`the field "${key}" is not supported in a retrier`);
    const names = errorEquals(s, r.ErrorEquals ?? null, i === value.length - 1, 'Retrier');
    const num = (key: string, dflt: number | null, ok: (n: number) => boolean, want: string): number | null => {
      const v = r[key];
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || !ok(v)) {
        s.at(key).report(`${key} must be ${want}, got ${JSON.stringify(v)}`);
        return dflt;
      }
      return v;
    };
    const intervalSeconds = num('IntervalSeconds', 1, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_SECONDS, 'a positive integer')!;
    const maxAttempts = num('MaxAttempts', 3, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SECONDS, 'a non-negative integer')!;
    const backoffRate = num('BackoffRate', 2, (n) => n >= 1, 'a number greater than or equal to 1.0')!;
    const maxDelaySeconds = num('MaxDelaySeconds', null, (n) => Number.isInteger(n) && n >= 1 && n <= 31_622_400, 'a positive integer (at most 31622400)');
    let jitter: 'FULL' | 'NONE' = 'NONE';
    if (r.JitterStrategy !== undefined) {
      if (r.JitterStrategy === 'FULL' || r.JitterStrategy === 'NONE') jitter = r.JitterStrategy;
      else s.at('JitterStrategy').report(`JitterStrategy must be "FULL" or "NONE", got ${JSON.stringify(r.JitterStrategy)}`);
    }
    if (names !== null) out.push({ errorEquals: names, intervalSeconds, maxAttempts, backoffRate, maxDelaySeconds, jitter });
  });
  return out;
}

export interface CatchCompilers {
  readonly resultPath: (site: Site, value: Json | undefined) => ResultPathSpec;
  readonly assign: (site: Site, value: Json) => AssignSpec | null;
}

export function compileCatch(site: Site, value: Json | undefined, ql: QueryLanguage, c: CatchCompilers): Catcher[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    site.report(`Catch must be an array of catchers`);
    return [];
  }
  const allowed = catcherFields(ql);
  const out: Catcher[] = [];
  value.forEach((r, i) => {
    const s = site.at(i);
    if (!isObject(r)) {
      s.report(`a catcher must be an object`);
      return;
    }
    for (const key of Object.keys(r)) {
      if (!allowed.has(key)) {
        const hint = key === 'ResultPath' ? '; this state uses JSONata, use Output' : key === 'Output' ? '; this state uses JSONPath, use ResultPath' : '';
        s.at(key).report(`the field "${key}" is not supported in a catcher${hint}`);
      }
    }
    const names = errorEquals(s, r.ErrorEquals ?? null, i === value.length - 1, 'Catcher');
    if (typeof r.Next !== 'string') s.at('Next').report(`a catcher must have a "Next" state name`);
    const resultPath = ql === 'JSONPath' ? c.resultPath(s.at('ResultPath'), r.ResultPath) : { k: 'path' as const, source: '$', segments: [] };
    const output = ql === 'JSONata' && r.Output !== undefined ? s.at('Output').jsonataTemplate(r.Output) : null;
    const assign = r.Assign === undefined ? null : c.assign(s.at('Assign'), r.Assign);
    if (names !== null && typeof r.Next === 'string') out.push({ errorEquals: names, next: r.Next, resultPath, output, assign });
  });
  return out;
}
