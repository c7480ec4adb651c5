/**
 * JSONPath as ASL uses it (Jayway semantics). Paths are compiled once at parse time.
 * Definite paths ($.a.b[0]['c']) are walked here, with Jayway's behaviour for negative
 * indexes and own properties only; indefinite ones (wildcards, filters, slices, unions,
 * deep scan) go to jsonpath-plus and always yield an array. `$$…` addresses the Context
 * Object and `$name…` a variable.
 */
import { JSONPath } from 'jsonpath-plus';
import { isObject } from '../json.ts';
import type { Json } from '../types.ts';

export type Segment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'length' };

export interface CompiledPath {
  readonly source: string;
  readonly root: 'input' | 'context' | 'variable';
  readonly variable: string | null;
  /** True when the path names a single node (no wildcard, filter, slice, union, `..`). */
  readonly definite: boolean;
  readonly segments: readonly Segment[];
  /** The part after the root, re-rooted at `$`, for jsonpath-plus. */
  readonly relative: string;
}

export class PathSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathSyntaxError';
  }
}

const ID_START = /[\p{ID_Start}_]/u;
const ID_CONTINUE = /\p{ID_Continue}/u;

export function compilePath(source: string): CompiledPath {
  if (typeof source !== 'string' || !source.startsWith('$')) {
    throw new PathSyntaxError(`"${String(source)}" is not a JSONPath: it must start with "$"`);
  }
  let root: CompiledPath['root'] = 'input';
  let variable: string | null = null;
  let pos = 1;
  if (source.startsWith('$$')) {
    root = 'context';
    pos = 2;
  } else if (pos < source.length && ID_START.test(source[pos])) {
    root = 'variable';
    let end = pos + 1;
    while (end < source.length && ID_CONTINUE.test(source[end])) end++;
    variable = source.slice(pos, end);
    pos = end;
  }
  const rest = source.slice(pos);
  const { segments, definite } = tokenize(rest, source);
  return { source, root, variable, definite, segments, relative: `$${rest}` };
}

/** A Reference Path: definite, no functions, addressing a single node. */
export function isReferencePath(path: CompiledPath): boolean {
  return path.definite && !path.segments.some((s) => s.kind === 'length');
}

function tokenize(rest: string, source: string): { segments: Segment[]; definite: boolean } {
  const segments: Segment[] = [];
  let definite = true;
  let i = 0;
  const fail = (why: string): never => {
    throw new PathSyntaxError(`invalid JSONPath "${source}": ${why} at offset ${source.length - rest.length + i}`);
  };
  while (i < rest.length) {
    const c = rest[i];
    if (c === '.') {
      if (rest[i + 1] === '.') {
        definite = false;
        i += 2;
        if (rest[i] === '[') continue;
        if (rest[i] === '*') {
          i++;
          continue;
        }
        const name = readName(rest, i, fail);
        i = name.end;
        continue;
      }
      i++;
      if (rest[i] === '*') {
        definite = false;
        i++;
        continue;
      }
      if (rest.startsWith('length()', i) && i + 8 === rest.length) {
        segments.push({ kind: 'length' });
        i += 8;
        continue;
      }
      const name = readName(rest, i, fail);
      segments.push({ kind: 'key', key: name.name });
      i = name.end;
      continue;
    }
    if (c === '[') {
      i++;
      while (rest[i] === ' ') i++;
      const d = rest[i];
      if (d === "'" || d === '"') {
        const keys: string[] = [];
        for (;;) {
          const str = readQuoted(rest, i, fail);
          keys.push(str.value);
          i = str.end;
          while (rest[i] === ' ') i++;
          if (rest[i] === ',') {
            i++;
            while (rest[i] === ' ') i++;
            continue;
          }
          break;
        }
        if (rest[i] !== ']') fail('expected "]"');
        i++;
        if (keys.length === 1) segments.push({ kind: 'key', key: keys[0] });
        else definite = false;
        continue;
      }
      if (d === '*') {
        i++;
        while (rest[i] === ' ') i++;
        if (rest[i] !== ']') fail('expected "]"');
        i++;
        definite = false;
        continue;
      }
      if (d === '?' || d === '(') {
        i = skipBalanced(rest, i, fail);
        definite = false;
        continue;
      }
      const close = rest.indexOf(']', i);
      if (close < 0) fail('expected "]"');
      const inner = rest.slice(i, close).trim();
      i = close + 1;
      if (/^-?\d+$/.test(inner)) {
        segments.push({ kind: 'index', index: Number(inner) });
        continue;
      }
      if (/^(-?\d+)?\s*:\s*(-?\d+)?(\s*:\s*(-?\d+)?)?$/.test(inner) || /^-?\d+(\s*,\s*-?\d+)+$/.test(inner)) {
        definite = false;
        continue;
      }
      fail('expected an index, a quoted name, "*", a slice or a filter');
    }
    fail(`unexpected "${c}"`);
  }
  return { segments, definite };
}

function readName(text: string, start: number, fail: (why: string) => never): { name: string; end: number } {
  let i = start;
  let name = '';
  while (i < text.length && text[i] !== '.' && text[i] !== '[') {
    if (text[i] === '\\') {
      if (i + 1 >= text.length) fail('dangling "\\"');
      if (text[i + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        name += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      name += text[i + 1];
      i += 2;
      continue;
    }
    if (text[i] === ']') fail('unexpected "]"');
    name += text[i];
    i++;
  }
  if (name === '') fail('empty member name');
  return { name, end: i };
}

function readQuoted(text: string, start: number, fail: (why: string) => never): { value: string; end: number } {
  const quote = text[start];
  let i = start + 1;
  let value = '';
  while (i < text.length && text[i] !== quote) {
    if (text[i] === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    value += text[i];
    i++;
  }
  if (i >= text.length) fail('unterminated quoted name');
  return { value, end: i + 1 };
}

/** Skips a filter or script `?(…)]` / `(…)]`, honouring nesting and quotes. */
function skipBalanced(text: string, start: number, fail: (why: string) => never): number {
  let depth = 1; // we are inside the opening "["
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      i = readQuoted(text, i, fail).end;
      continue;
    }
    if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0) {
        if (c !== ']') fail('unbalanced parentheses');
        return i + 1;
      }
    }
    i++;
  }
  return fail('unterminated filter');
}

export interface PathSources {
  readonly input: Json;
  readonly context: Json;
  /** Looks a variable up through the scope chain; undefined when it has no value. */
  readonly variable: (name: string) => Json | undefined;
}

export type PathResult = { found: true; value: Json } | { found: false; reason: string };

export function evaluatePath(path: CompiledPath, sources: PathSources): PathResult {
  let base: Json | undefined;
  if (path.root === 'input') base = sources.input;
  else if (path.root === 'context') base = sources.context;
  else {
    base = sources.variable(path.variable!);
    if (base === undefined) return { found: false, reason: `variable $${path.variable} has no value` };
  }
  if (!path.definite) {
    const value = JSONPath({ path: path.relative, json: base as never, wrap: true, eval: 'safe' }) as Json[] | undefined;
    return { found: true, value: value ?? [] };
  }
  return walk(base, path.segments);
}

function walk(base: Json, segments: readonly Segment[]): PathResult {
  let cur: Json = base;
  for (const seg of segments) {
    if (seg.kind === 'key') {
      if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, seg.key)) {
        return { found: false, reason: `no field "${seg.key}"` };
      }
      cur = cur[seg.key];
    } else if (seg.kind === 'index') {
      if (!Array.isArray(cur)) return { found: false, reason: `[${seg.index}] applied to a non-array` };
      const idx = seg.index < 0 ? cur.length + seg.index : seg.index;
      if (idx < 0 || idx >= cur.length) return { found: false, reason: `index ${seg.index} out of range` };
      cur = cur[idx];
    } else {
      if (Array.isArray(cur) || typeof cur === 'string') cur = cur.length;
      else if (isObject(cur)) cur = Object.keys(cur).length;
      else return { found: false, reason: 'length() applied to a scalar' };
    }
  }
  return { found: true, value: cur };
}

/**
 * Places `value` at a Reference Path inside `target`, copying (never mutating) every
 * object on the way and creating missing objects. Throws when the path cannot apply.
 */
export function setAtPath(target: Json, segments: readonly Segment[], value: Json): Json {
  if (segments.length === 0) return value;
  const [seg, ...rest] = segments;
  if (seg.kind === 'key') {
    if (!isObject(target)) throw new Error(`cannot set field "${seg.key}" on a ${describeType(target)}`);
    const has = Object.prototype.hasOwnProperty.call(target, seg.key);
    const child = has ? target[seg.key] : {};
    return { ...target, [seg.key]: setAtPath(child, rest, value) };
  }
  if (seg.kind === 'index') {
    if (!Array.isArray(target)) throw new Error(`cannot set [${seg.index}] on a ${describeType(target)}`);
    const idx = seg.index < 0 ? target.length + seg.index : seg.index;
    if (idx < 0 || idx >= target.length) throw new Error(`index ${seg.index} is out of range`);
    const copy = target.slice();
    copy[idx] = setAtPath(copy[idx], rest, value);
    return copy;
  }
  throw new Error('length() cannot be assigned');
}

function describeType(value: Json): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
