import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatesError } from '../errors.ts';
import { seededRandom } from '../random.ts';
import { nestingDepth, parseIntrinsic } from './intrinsic-parser.ts';
import { checkIntrinsic, evaluateIntrinsic } from './intrinsics.ts';
import { compilePath, evaluatePath, isReferencePath, setAtPath, type PathSources } from './path.ts';

const sources = (input: unknown, vars: Record<string, unknown> = {}, context: unknown = {}): PathSources => ({
  input: input as never,
  context: context as never,
  variable: (n) => vars[n] as never,
});

test('paths are classified as definite (reference) or indefinite', () => {
  for (const p of ['$', '$.a', "$['a b'].c[0]", '$.a[-1]', '$.store\\.book', '$$.Execution.Id', '$var.x[2]']) {
    assert.ok(isReferencePath(compilePath(p)), p);
  }
  for (const p of ['$..a', '$.a[*]', '$.a[0,1]', '$.a[1:]', '$.a[?(@.x > 1)]', '$.*', "$['a','b']"]) {
    assert.equal(compilePath(p).definite, false, p);
  }
  assert.equal(isReferencePath(compilePath('$.a.length()')), false);
  assert.deepEqual(compilePath('$$.State.Name').root, 'context');
  assert.deepEqual([compilePath('$myVar.a').root, compilePath('$myVar.a').variable], ['variable', 'myVar']);
});

test('malformed paths are rejected with the offset', () => {
  for (const p of ['a.b', '$.', '$[', "$['a", '$.a[x]', '$a b', '$.a]']) {
    assert.throws(() => compilePath(p), /JSONPath/, p);
  }
});

test('definite paths follow Jayway: own fields only, negative indexes, not-found reasons', () => {
  const doc = { a: [1, 2, 3], o: { k: null }, s: 'str' };
  assert.deepEqual(evaluatePath(compilePath('$.a[-1]'), sources(doc)), { found: true, value: 3 });
  assert.deepEqual(evaluatePath(compilePath('$.o.k'), sources(doc)), { found: true, value: null });
  assert.equal(evaluatePath(compilePath('$.o.constructor'), sources(doc)).found, false);
  assert.equal(evaluatePath(compilePath('$.a.length'), sources(doc)).found, false);
  assert.deepEqual(evaluatePath(compilePath('$.a.length()'), sources(doc)), { found: true, value: 3 });
  assert.equal(evaluatePath(compilePath('$.s.x'), sources(doc)).found, false);
  assert.deepEqual(evaluatePath(compilePath('$v[1]'), sources(null, { v: ['x', 'y'] })), { found: true, value: 'y' });
  assert.equal(evaluatePath(compilePath('$nope'), sources(null)).found, false);
});

test('setAtPath copies on write and refuses impossible targets', () => {
  const input = { a: { b: 1 }, list: [1, 2] };
  const out = setAtPath(input, compilePath('$.a.c.d').segments, 'x');
  assert.deepEqual(out, { a: { b: 1, c: { d: 'x' } }, list: [1, 2] });
  assert.deepEqual(input, { a: { b: 1 }, list: [1, 2] }, 'input untouched');
  assert.deepEqual(setAtPath(input, compilePath('$.list[-1]').segments, 9), { a: { b: 1 }, list: [1, 9] });
  assert.throws(() => setAtPath(input, compilePath('$.list[5]').segments, 9), /out of range/);
  assert.throws(() => setAtPath('str', compilePath('$.x').segments, 1), /string/);
});

test('the intrinsic parser handles nesting, escapes, literals and paths with brackets', () => {
  const call = parseIntrinsic("States.Format('it\\'s {} \\{x\\}', States.Array($['a,b'], -1.5e2, null, true), $.x[0])");
  assert.equal(call.name, 'States.Format');
  assert.equal(call.args.length, 3);
  const first = call.args[0];
  assert.ok(first.kind === 'string');
  assert.equal(first.value, "it's {} {x}");
  assert.deepEqual(first.formatParts, ["it's ", ' {x}']);
  const inner = call.args[1];
  assert.ok(inner.kind === 'call');
  assert.deepEqual(inner.args.map((a) => a.kind), ['path', 'number', 'literal', 'literal']);
  assert.equal(nestingDepth(call), 2);
  assert.equal(checkIntrinsic(call), null);
});

test('the intrinsic parser reports what is wrong', () => {
  assert.throws(() => parseIntrinsic("States.Format('a\\b')"), /open escape/);
  assert.throws(() => parseIntrinsic("States.Format('abc"), /unterminated string/);
  assert.throws(() => parseIntrinsic('States.Array(1,)'), /unexpected|missing argument/);
  assert.throws(() => parseIntrinsic('States.Array(1) trailing'), /after the closing/);
  assert.throws(() => parseIntrinsic('(1)'), /function name/);
  assert.match(checkIntrinsic(parseIntrinsic('States.Nope()'))!, /unknown intrinsic/);
  assert.match(checkIntrinsic(parseIntrinsic('States.Array(States.UUID(1))'))!, /takes 0 argument/);
});

test('intrinsic failures are States.IntrinsicFailure with a cause naming the function', () => {
  const env = { sources: sources({ s: 'x' }), random: seededRandom(1) };
  assert.throws(
    () => evaluateIntrinsic(parseIntrinsic('States.ArrayLength($.s)'), env),
    (err: unknown) => err instanceof StatesError && err.error === 'States.IntrinsicFailure' && /States.ArrayLength/.test(err.causeText),
  );
});

test('States.UUID and unseeded States.MathRandom draw only from the Random passed in', () => {
  const a = { sources: sources({}), random: seededRandom('same') };
  const b = { sources: sources({}), random: seededRandom('same') };
  const call = parseIntrinsic('States.Array(States.UUID(), States.MathRandom(0, 1000000))');
  assert.deepEqual(evaluateIntrinsic(call, a), evaluateIntrinsic(call, b));
  const c = { sources: sources({}), random: seededRandom('other') };
  assert.notDeepEqual(evaluateIntrinsic(call, a), evaluateIntrinsic(call, c));
});
