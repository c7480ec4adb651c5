/**
 * The States.* intrinsic functions. Arity is checked when the definition is parsed;
 * types and values at run time, where a failure is States.IntrinsicFailure. Randomness
 * (MathRandom without a seed, UUID) comes from the Random passed in, never Math.random.
 */
import { createHash } from 'node:crypto';
import { StatesError, StatesErrors } from '../errors.ts';
import { deepEqual, isObject, preview, typeName } from '../json.ts';
import { randomInt, seededRandom, uuidV4 } from '../random.ts';
import type { Json, JsonObject, Random } from '../types.ts';
import { evaluatePath, type PathSources } from './path.ts';
import type { IntrinsicArg, IntrinsicCall } from './intrinsic-parser.ts';
import { MAX_JSON_DEPTH, jsonValueTooDeep } from '../../../core/json-depth.ts';

export interface IntrinsicEnv {
  readonly sources: PathSources;
  readonly random: Random;
}

interface Spec {
  readonly min: number;
  readonly max: number;
  readonly fn: (args: Json[], env: IntrinsicEnv, call: IntrinsicCall) => Json;
}

const MAX_CHARS = 10_000;
const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function fail(name: string, why: string): never {
  throw new StatesError(StatesErrors.IntrinsicFailure, `Invalid arguments in ${name}: ${why}`);
}

function ordinal(i: number): string {
  return ['first', 'second', 'third', 'fourth'][i] ?? `${i + 1}th`;
}

function arrayArg(name: string, args: Json[], i: number): Json[] {
  const v = args[i];
  if (!Array.isArray(v)) fail(name, `the ${ordinal(i)} argument must be an array, got ${typeName(v)}`);
  return v as Json[];
}

function stringArg(name: string, args: Json[], i: number): string {
  const v = args[i];
  if (typeof v !== 'string') fail(name, `the ${ordinal(i)} argument must be a string, got ${typeName(v)}`);
  return v as string;
}

/** A number rounded to the nearest integer, as Step Functions does for integer arguments. */
function intArg(name: string, args: Json[], i: number): number {
  const v = args[i];
  if (typeof v !== 'number') fail(name, `the ${ordinal(i)} argument must be a number, got ${typeName(v)}`);
  return Math.round(v as number);
}

function formatValue(name: string, v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(name, `a value to format must be a string, number, boolean or null, got ${typeName(v)}`);
}

function deepMerge(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isObject(prev) && isObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

const SPECS: Record<string, Spec> = {
  'States.Format': {
    min: 1,
    max: Infinity,
    fn: (args, _env, call) => {
      const name = call.name;
      const first = call.args[0];
      const parts =
        first?.kind === 'string' ? [...first.formatParts] : stringArg(name, args, 0).split('{}');
      const values = args.slice(1);
      if (parts.length - 1 !== values.length) {
        fail(name, `the template has ${parts.length - 1} placeholder(s) but ${values.length} value(s) were given`);
      }
      let out = parts[0];
      for (let i = 0; i < values.length; i++) out += formatValue(name, values[i]) + parts[i + 1];
      return out;
    },
  },
  'States.StringToJson': {
    min: 1,
    max: 1,
    fn: (args) => {
      const s = stringArg('States.StringToJson', args, 0);
      let value: Json;
      try {
        value = JSON.parse(s) as Json;
      } catch (err) {
        return fail('States.StringToJson', `the string is not valid JSON (${(err as Error).message})`);
      }
      if (jsonValueTooDeep(value)) return fail('States.StringToJson', `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
      return value;
    },
  },
  'States.JsonToString': { min: 1, max: 1, fn: (args) => JSON.stringify(args[0]) },
  'States.Array': { min: 0, max: Infinity, fn: (args) => args },
  'States.ArrayPartition': {
    min: 2,
    max: 2,
    fn: (args) => {
      const arr = arrayArg('States.ArrayPartition', args, 0);
      const size = intArg('States.ArrayPartition', args, 1);
      if (size <= 0) fail('States.ArrayPartition', `the chunk size must be a positive integer, got ${args[1]}`);
      const out: Json[] = [];
      for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size));
      return out;
    },
  },
  'States.ArrayContains': {
    min: 2,
    max: 2,
    fn: (args) => arrayArg('States.ArrayContains', args, 0).some((v) => deepEqual(v, args[1])),
  },
  'States.ArrayRange': {
    min: 3,
    max: 3,
    fn: (args) => {
      const n = 'States.ArrayRange';
      const [start, end, step] = [intArg(n, args, 0), intArg(n, args, 1), intArg(n, args, 2)];
      if (step === 0) fail(n, 'the step (third argument) must not be zero');
      const count = Math.floor((end - start) / step) + 1;
      if (count <= 0) return [];
      if (count > 1000) fail(n, `the range would hold ${count} items; at most 1000 are allowed`);
      return Array.from({ length: count }, (_, i) => start + i * step);
    },
  },
  'States.ArrayGetItem': {
    min: 2,
    max: 2,
    fn: (args) => {
      const n = 'States.ArrayGetItem';
      const arr = arrayArg(n, args, 0);
      const idx = args[1];
      if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0) {
        fail(n, `the index must be a non-negative integer, got ${preview(idx)}`);
      }
      if ((idx as number) >= arr.length) fail(n, `index ${idx} is out of range for an array of ${arr.length}`);
      return arr[idx as number];
    },
  },
  'States.ArrayLength': { min: 1, max: 1, fn: (args) => arrayArg('States.ArrayLength', args, 0).length },
  'States.ArrayUnique': {
    min: 1,
    max: 1,
    fn: (args) => {
      const out: Json[] = [];
      for (const v of arrayArg('States.ArrayUnique', args, 0)) if (!out.some((u) => deepEqual(u, v))) out.push(v);
      return out;
    },
  },
  'States.Base64Encode': {
    min: 1,
    max: 1,
    fn: (args) => {
      const s = stringArg('States.Base64Encode', args, 0);
      if (s.length > MAX_CHARS) fail('States.Base64Encode', `the input has ${s.length} characters; at most 10000`);
      return Buffer.from(s, 'utf8').toString('base64');
    },
  },
  'States.Base64Decode': {
    min: 1,
    max: 1,
    fn: (args) => {
      const s = stringArg('States.Base64Decode', args, 0);
      if (s.length > MAX_CHARS) fail('States.Base64Decode', `the input has ${s.length} characters; at most 10000`);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
        fail('States.Base64Decode', 'the input is not valid Base64');
      }
      return Buffer.from(s, 'base64').toString('utf8');
    },
  },
  'States.Hash': {
    min: 2,
    max: 2,
    fn: (args) => {
      const n = 'States.Hash';
      const data = typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
      if (data.length > MAX_CHARS) fail(n, `the data has ${data.length} characters; at most 10000`);
      const alg = stringArg(n, args, 1);
      const node = HASHES[alg];
      if (node === undefined) fail(n, `unknown algorithm "${alg}"; use one of ${Object.keys(HASHES).join(', ')}`);
      return createHash(node).update(data, 'utf8').digest('hex');
    },
  },
  'States.JsonMerge': {
    min: 3,
    max: 3,
    fn: (args) => {
      const n = 'States.JsonMerge';
      const [a, b, deep] = args;
      if (!isObject(a)) fail(n, `the first argument must be an object, got ${typeName(a)}`);
      if (!isObject(b)) fail(n, `the second argument must be an object, got ${typeName(b)}`);
      if (typeof deep !== 'boolean') fail(n, `the third argument must be a boolean, got ${typeName(deep)}`);
      return deep ? deepMerge(a as JsonObject, b as JsonObject) : { ...(a as JsonObject), ...(b as JsonObject) };
    },
  },
  'States.MathRandom': {
    min: 2,
    max: 3,
    fn: (args, env) => {
      const n = 'States.MathRandom';
      const [start, end] = [intArg(n, args, 0), intArg(n, args, 1)];
      if (end <= start) fail(n, `the end (${end}) must be greater than the start (${start})`);
      let random = env.random;
      if (args.length === 3) {
        if (typeof args[2] !== 'number') fail(n, `the seed must be a number, got ${typeName(args[2])}`);
        random = seededRandom(`MathRandom:${args[2]}`);
      }
      return randomInt(random, start, end);
    },
  },
  'States.MathAdd': {
    min: 2,
    max: 2,
    fn: (args) => {
      const n = 'States.MathAdd';
      const [a, b] = [intArg(n, args, 0), intArg(n, args, 1)];
      for (const v of [a, b]) {
        if (v < -2147483648 || v > 2147483647) fail(n, `${v} is outside -2147483648..2147483647`);
      }
      return a + b;
    },
  },
  'States.StringSplit': {
    min: 2,
    max: 2,
    fn: (args) => {
      const s = stringArg('States.StringSplit', args, 0);
      const delimiters = new Set(stringArg('States.StringSplit', args, 1));
      const out: string[] = [];
      let token = '';
      for (const ch of s) {
        if (delimiters.has(ch)) {
          if (token !== '') out.push(token);
          token = '';
        } else token += ch;
      }
      if (token !== '') out.push(token);
      return out;
    },
  },
  'States.UUID': { min: 0, max: 0, fn: (_args, env) => uuidV4(env.random) },
};

export const INTRINSIC_NAMES: readonly string[] = Object.keys(SPECS);

/** Static check of a parsed call: known names and argument counts. Null when fine. */
export function checkIntrinsic(call: IntrinsicCall): string | null {
  const spec = SPECS[call.name];
  if (spec === undefined) {
    return `unknown intrinsic function "${call.name}"; the supported ones are ${INTRINSIC_NAMES.join(', ')}`;
  }
  const n = call.args.length;
  if (n < spec.min || n > spec.max) {
    const want = spec.min === spec.max ? `${spec.min}` : spec.max === Infinity ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`;
    return `${call.name} takes ${want} argument(s), got ${n}`;
  }
  for (const a of call.args) {
    if (a.kind === 'call') {
      const inner = checkIntrinsic(a);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/** Calls an intrinsic with already-evaluated arguments (used by the JSONata extras). */
export function applyIntrinsic(name: string, args: Json[], random: Random): Json {
  const call: IntrinsicCall = { kind: 'call', name, args: [] };
  return SPECS[name].fn(args, { sources: { input: null, context: null, variable: () => undefined }, random }, call);
}

export function evaluateIntrinsic(call: IntrinsicCall, env: IntrinsicEnv): Json {
  const args = call.args.map((a) => evaluateArg(a, env, call.name));
  return SPECS[call.name].fn(args, env, call);
}

function evaluateArg(arg: IntrinsicArg, env: IntrinsicEnv, owner: string): Json {
  switch (arg.kind) {
    case 'string':
    case 'number':
    case 'literal':
      return arg.value;
    case 'path': {
      const r = evaluatePath(arg.path, env.sources);
      if (!r.found) fail(owner, `the path ${arg.path.source} could not be resolved (${r.reason})`);
      return r.value;
    }
    case 'call':
      return evaluateIntrinsic(arg, env);
  }
}
