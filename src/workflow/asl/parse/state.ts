/** Validates and compiles one state object into a CompiledState. */
import { MAX_COUNT } from '../limits.ts';
import { isJsonataString } from '../jsonata/expr.ts';
import { isObject, typeName } from '../json.ts';
import type { AssignSpec, CompiledState, Dyn, IoPath, Payload, ResultPathSpec, StateType } from '../model.ts';
import { parseResource, requiredParameters, type ResourceSpec } from '../resources.ts';
import { isTimestamp } from '../timestamps.ts';
import type { Json, JsonObject, QueryLanguage } from '../types.ts';
import { compileChoices } from './choice.ts';
import { compileCatch, compileRetry } from './error-handling.ts';
import { allowedFields, STATE_TYPES, unknownFieldMessage } from './fields.ts';
import { checks, type Site } from './issues.ts';

export interface ScopeHooks {
  /** Compiles a nested States block (Parallel branch, Map processor); returns its scope id. */
  addScope(raw: Json, site: Site, id: string, kind: 'branch' | 'processor', owner: string): string | null;
  /** Records a variable name assigned in the current scope. */
  assigned(name: string, site: Site): void;
}

const VARIABLE_NAME = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

export function compileAssign(site: Site, value: Json, ql: QueryLanguage, hooks: ScopeHooks): AssignSpec | null {
  if (!isObject(value)) {
    site.report(`Assign must be an object of variable names to values`);
    return null;
  }
  for (const rawKey of Object.keys(value)) {
    const name = ql === 'JSONPath' && rawKey.endsWith('.$') ? rawKey.slice(0, -2) : rawKey;
    const s = site.at(rawKey);
    if (name === 'states') s.report(`"states" is a reserved variable and cannot be assigned`);
    else if (!VARIABLE_NAME.test(name) || [...name].length > 80) {
      s.report(`"${name}" is not a valid variable name (a letter or "_" first, then letters, digits or "_"; at most 80 characters)`);
    } else hooks.assigned(name, s);
  }
  return ql === 'JSONPath' ? { ql, node: site.template(value) } : { ql, node: site.jsonataTemplate(value) };
}

function ioPath(site: Site, value: Json | undefined, field: string): IoPath {
  if (value === undefined) return { k: 'all' };
  if (value === null) return { k: 'discard' };
  const path = site.path_(value, field);
  return path === null ? { k: 'all' } : { k: 'path', path };
}

export function resultPath(site: Site, value: Json | undefined): ResultPathSpec {
  if (value === undefined) return { k: 'path', source: '$', segments: [] };
  if (value === null) return { k: 'discard' };
  const p = site.referencePath(value, 'ResultPath', false);
  return p === null ? { k: 'path', source: '$', segments: [] } : { k: 'path', source: p.source, segments: p.segments };
}

function payload(site: Site, value: Json, ql: QueryLanguage): Payload {
  return ql === 'JSONPath' ? { ql, node: site.template(value) } : { ql, node: site.jsonataTemplate(value) };
}

/** A field with an optional JSONPath `…Path` companion (or a JSONata expression). */
function numberOrPath(
  site: Site,
  raw: JsonObject,
  field: string,
  ql: QueryLanguage,
  check: (v: Json) => string | null,
): Dyn | null {
  const pathField = `${field}Path`;
  const has = raw[field] !== undefined;
  const hasPath = ql === 'JSONPath' && raw[pathField] !== undefined;
  if (has && hasPath) {
    site.at(pathField).report(`use either ${field} or ${pathField}, not both`);
    return null;
  }
  if (hasPath) return site.at(pathField).pathDyn(raw[pathField], pathField, false);
  if (!has) return null;
  if (ql === 'JSONPath' && isJsonataString(raw[field])) {
    site.at(field).report(`${field} holds a JSONata expression but this state uses JSONPath; use ${pathField}`);
    return null;
  }
  return site.at(field).dyn(raw[field], field, check);
}

function emptyState(name: string, type: StateType, scope: string, ql: QueryLanguage): CompiledState {
  return {
    name, type, scope, ql, next: null, end: false,
    inputPath: { k: 'all' }, outputPath: { k: 'all' }, resultPath: { k: 'path', source: '$', segments: [] },
    parameters: null, resultSelector: null, result: null, output: null, assign: null, retry: [], catch: [],
    resource: null, resourceText: null, timeoutSeconds: null, heartbeatSeconds: null, credentials: null,
    choices: [], default: null, waitSeconds: null, waitTimestamp: null, error: null, cause: null,
    branches: [], processor: null, itemsPath: null, items: null, itemSelector: null,
    maxConcurrency: null, toleratedFailureCount: null, toleratedFailurePercentage: null,
  };
}

export function compileState(
  site: Site,
  name: string,
  raw: Json,
  scope: string,
  machineQl: QueryLanguage,
  hooks: ScopeHooks,
): CompiledState | null {
  if (!isObject(raw)) {
    site.report(`a state must be an object, got ${typeName(raw)}`);
    return null;
  }
  const type = raw.Type;
  if (typeof type !== 'string' || !STATE_TYPES.includes(type as StateType)) {
    site.at('Type').report(`Type must be one of ${STATE_TYPES.join(', ')}, got ${JSON.stringify(type ?? null)}`);
    return null;
  }
  let ql = machineQl;
  if (raw.QueryLanguage !== undefined) {
    if (raw.QueryLanguage === 'JSONPath' || raw.QueryLanguage === 'JSONata') ql = raw.QueryLanguage;
    else site.at('QueryLanguage').report(`QueryLanguage must be "JSONPath" or "JSONata"`);
  }
  const t = type as StateType;
  const allowed = allowedFields(t, ql);
  for (const key of Object.keys(raw)) if (!allowed.has(key)) site.at(key).report(unknownFieldMessage(key, t, ql));
  if (raw.Comment !== undefined && typeof raw.Comment !== 'string') site.at('Comment').report(`Comment must be a string`);

  const s: { -readonly [K in keyof CompiledState]: CompiledState[K] } = emptyState(name, t, scope, ql);

  // Transitions.
  if (t !== 'Choice' && t !== 'Succeed' && t !== 'Fail') {
    const hasNext = raw.Next !== undefined;
    const end = raw.End === true;
    if (raw.End !== undefined && typeof raw.End !== 'boolean') site.at('End').report(`End must be a boolean`);
    if (hasNext && typeof raw.Next !== 'string') site.at('Next').report(`Next must be a state name`);
    if (hasNext && end) site.report(`a state must have either "Next" or "End": true, not both`);
    else if (!hasNext && !end) site.report(`a ${t} state needs "Next" or "End": true`);
    s.next = typeof raw.Next === 'string' && !end ? raw.Next : null;
    s.end = end && !hasNext;
  }

  // Input and output processing.
  if (ql === 'JSONPath') {
    if (t !== 'Fail') {
      s.inputPath = ioPath(site.at('InputPath'), raw.InputPath, 'InputPath');
      s.outputPath = ioPath(site.at('OutputPath'), raw.OutputPath, 'OutputPath');
    }
    if (t === 'Pass' || t === 'Task' || t === 'Parallel' || t === 'Map') {
      s.resultPath = resultPath(site.at('ResultPath'), raw.ResultPath);
    }
    if (raw.Parameters !== undefined && t !== 'Map') s.parameters = payload(site.at('Parameters'), raw.Parameters, ql);
    if (raw.ResultSelector !== undefined) {
      if (!isObject(raw.ResultSelector)) site.at('ResultSelector').report(`ResultSelector must be an object`);
      else s.resultSelector = site.at('ResultSelector').template(raw.ResultSelector);
    }
    if (raw.Result !== undefined) s.result = { v: raw.Result };
  } else {
    if (raw.Arguments !== undefined) {
      if (!isObject(raw.Arguments) && !isJsonataString(raw.Arguments)) {
        site.at('Arguments').report(`Arguments must be an object or a {% %} JSONata expression`);
      } else s.parameters = payload(site.at('Arguments'), raw.Arguments, ql);
    }
    if (raw.Output !== undefined) s.output = site.at('Output').jsonataTemplate(raw.Output);
  }
  if (raw.Assign !== undefined) s.assign = compileAssign(site.at('Assign'), raw.Assign, ql, hooks);

  // Errors.
  if (t === 'Task' || t === 'Parallel' || t === 'Map') {
    s.retry = compileRetry(site.at('Retry'), raw.Retry);
    s.catch = compileCatch(site.at('Catch'), raw.Catch, ql, {
      resultPath,
      assign: (cs, v) => compileAssign(cs, v, ql, hooks),
    });
  }

  switch (t) {
    case 'Task':
      compileTask(site, raw, s, ql);
      break;
    case 'Choice':
      s.choices = compileChoices(site.at('Choices'), raw.Choices, ql, (cs, v) => compileAssign(cs, v, ql, hooks));
      if (raw.Default !== undefined) {
        if (typeof raw.Default !== 'string') site.at('Default').report(`Default must be a state name`);
        else s.default = raw.Default;
      }
      break;
    case 'Wait':
      compileWait(site, raw, s, ql);
      break;
    case 'Fail':
      s.error = failField(site, raw, 'Error', ql);
      s.cause = failField(site, raw, 'Cause', ql);
      break;
    case 'Parallel':
      if (!Array.isArray(raw.Branches) || raw.Branches.length === 0) {
        site.at('Branches').report(`Branches must be a non-empty array of {StartAt, States} objects`);
      } else {
        s.branches = raw.Branches.map((b, i) => hooks.addScope(b, site.at('Branches', i), `${name}/${i}`, 'branch', name)).filter(
          (id): id is string => id !== null,
        );
      }
      break;
    case 'Map':
      compileMap(site, raw, s, ql, hooks);
      break;
    default:
      break;
  }
  return s;
}

function compileTask(site: Site, raw: JsonObject, s: { -readonly [K in keyof CompiledState]: CompiledState[K] }, ql: QueryLanguage): void {
  if (typeof raw.Resource !== 'string') {
    site.at('Resource').report(`a Task state needs a "Resource" string`);
  } else {
    const spec = parseResource(raw.Resource);
    if ('error' in spec) site.at('Resource').report(spec.error);
    else {
      s.resource = spec as ResourceSpec;
      s.resourceText = raw.Resource;
      const params = ql === 'JSONPath' ? raw.Parameters : raw.Arguments;
      const field = ql === 'JSONPath' ? 'Parameters' : 'Arguments';
      for (const need of requiredParameters(spec as ResourceSpec)) {
        if (params === undefined) site.report(`Resource "${raw.Resource}" needs ${field} with "${need}"`);
        else if (isObject(params) && params[need] === undefined && params[`${need}.$`] === undefined) {
          site.at(field).report(`Resource "${raw.Resource}" needs "${need}" in ${field}`);
        }
      }
    }
  }
  s.timeoutSeconds = numberOrPath(site, raw, 'TimeoutSeconds', ql, checks.positiveInt());
  s.heartbeatSeconds = numberOrPath(site, raw, 'HeartbeatSeconds', ql, checks.positiveInt());
  const to = raw.TimeoutSeconds;
  const hb = raw.HeartbeatSeconds;
  if (typeof to === 'number' && typeof hb === 'number' && hb >= to) {
    site.at('HeartbeatSeconds').report(`HeartbeatSeconds (${hb}) must be smaller than TimeoutSeconds (${to})`);
  }
  if (raw.Credentials !== undefined) {
    if (!isObject(raw.Credentials) && !isJsonataString(raw.Credentials)) site.at('Credentials').report(`Credentials must be an object`);
    else s.credentials = payload(site.at('Credentials'), raw.Credentials, ql);
  }
}

function compileWait(site: Site, raw: JsonObject, s: { -readonly [K in keyof CompiledState]: CompiledState[K] }, ql: QueryLanguage): void {
  const fields = (ql === 'JSONPath' ? ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'] : ['Seconds', 'Timestamp']).filter(
    (f) => raw[f] !== undefined,
  );
  if (fields.length !== 1) {
    const names = ql === 'JSONPath' ? 'Seconds, SecondsPath, Timestamp or TimestampPath' : 'Seconds or Timestamp';
    site.report(fields.length === 0 ? `a Wait state needs one of ${names}` : `a Wait state takes exactly one of ${names}; found ${fields.join(', ')}`);
    return;
  }
  const timestampCheck = (v: Json): string | null =>
    isTimestamp(v) ? null : `must be an RFC 3339 timestamp such as "2016-03-14T01:59:00Z", got ${JSON.stringify(v)}`;
  s.waitSeconds = numberOrPath(site, raw, 'Seconds', ql, checks.nonNegativeInt());
  s.waitTimestamp = numberOrPath(site, raw, 'Timestamp', ql, timestampCheck);
}

function failField(site: Site, raw: JsonObject, field: 'Error' | 'Cause', ql: QueryLanguage): Dyn | null {
  const pathField = `${field}Path`;
  if (ql === 'JSONPath' && raw[pathField] !== undefined) {
    if (raw[field] !== undefined) {
      site.at(pathField).report(`use either ${field} or ${pathField}, not both`);
      return null;
    }
    return site.at(pathField).pathDyn(raw[pathField], pathField, true);
  }
  if (raw[field] === undefined) return null;
  if (ql === 'JSONPath') {
    if (typeof raw[field] !== 'string') site.at(field).report(`${field} must be a string`);
    return typeof raw[field] === 'string' ? { k: 'lit', v: raw[field] } : null;
  }
  return site.at(field).dyn(raw[field], field, checks.string);
}

function compileMap(
  site: Site,
  raw: JsonObject,
  s: { -readonly [K in keyof CompiledState]: CompiledState[K] },
  ql: QueryLanguage,
  hooks: ScopeHooks,
): void {
  for (const unsupported of ['ItemReader', 'ResultWriter', 'ItemBatcher']) {
    if (raw[unsupported] !== undefined) {
      site.at(unsupported).report(`${unsupported} (Distributed Map) is not supported; Nimbus runs Map states inline`);
    }
  }
  const hasProcessor = raw.ItemProcessor !== undefined;
  const hasIterator = raw.Iterator !== undefined;
  if (hasProcessor === hasIterator) {
    site.report(hasProcessor ? `use either ItemProcessor or the deprecated Iterator, not both` : `a Map state needs an ItemProcessor`);
  } else {
    const field = hasProcessor ? 'ItemProcessor' : 'Iterator';
    s.processor = hooks.addScope(raw[field], site.at(field), s.name, 'processor', s.name);
  }
  const selectorField = raw.ItemSelector !== undefined ? 'ItemSelector' : ql === 'JSONPath' && raw.Parameters !== undefined ? 'Parameters' : null;
  if (ql === 'JSONPath' && raw.ItemSelector !== undefined && raw.Parameters !== undefined) {
    site.at('Parameters').report(`use either ItemSelector or the deprecated Parameters, not both`);
  }
  if (selectorField !== null) s.itemSelector = payload(site.at(selectorField), raw[selectorField], ql);
  if (ql === 'JSONPath') {
    if (raw.ItemsPath !== undefined) s.itemsPath = site.at('ItemsPath').referencePath(raw.ItemsPath, 'ItemsPath');
  } else if (raw.Items !== undefined) {
    if (Array.isArray(raw.Items)) s.items = { k: 'jsonata', node: site.at('Items').jsonataTemplate(raw.Items), field: 'Items' };
    else if (isJsonataString(raw.Items)) s.items = site.at('Items').dyn(raw.Items, 'Items', () => null);
    else site.at('Items').report(`Items must be an array or a {% %} JSONata expression`);
  }
  s.maxConcurrency = numberOrPath(site, raw, 'MaxConcurrency', ql, checks.nonNegativeInt(MAX_COUNT));
  s.toleratedFailureCount = numberOrPath(site, raw, 'ToleratedFailureCount', ql, checks.nonNegativeInt(MAX_COUNT));
  s.toleratedFailurePercentage = numberOrPath(site, raw, 'ToleratedFailurePercentage', ql, checks.percentage);
}
