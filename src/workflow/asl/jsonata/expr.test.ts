import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatesError } from '../errors.ts';
import { seededRandom } from '../random.ts';
import { compileJsonataTemplate, evaluateJsonata, isJsonataString, type JsonataIssue } from './expr.ts';

const env = (input: unknown, vars: Record<string, unknown> = {}) => ({
  vars: vars as never,
  states: { input: input as never, context: {} },
  now: 1_700_000_000_000,
  random: seededRandom(1),
});

function compile(value: unknown): { issues: JsonataIssue[]; node: ReturnType<typeof compileJsonataTemplate> } {
  const issues: JsonataIssue[] = [];
  return { node: compileJsonataTemplate(value as never, issues), issues };
}

test('only whole "{% … %}" strings are expressions', () => {
  assert.equal(isJsonataString('{% 1 %}'), true);
  assert.equal(isJsonataString(' {% 1 %}'), false);
  assert.equal(isJsonataString('{%%}'), true);
  assert.deepEqual(compile('{%%}').issues.map((i) => i.message), ['the JSONata expression is empty']);
});

test('"$" and field names are fine inside predicates and later path steps', async () => {
  const { node, issues } = compile({ cheap: '{% $states.input.items[price < 10].name %}', first: '{% $states.input.items[0].$string(price) %}' });
  assert.deepEqual(issues, []);
  const out = await evaluateJsonata(node, env({ items: [{ name: 'a', price: 5 }, { name: 'b', price: 50 }] }));
  assert.deepEqual(out, { cheap: 'a', first: '5' });
});

test('compile-time problems carry their location inside the template', () => {
  const { issues } = compile({ a: [0, '{% $.x %}'], b: '{% ( %}' });
  assert.deepEqual(issues.map((i) => i.at), ['/a/1', '/b']);
});

test('runtime failures are States.QueryEvaluationError naming the expression', async () => {
  const { node } = compile('{% $x.y %}');
  await assert.rejects(evaluateJsonata(node, env({}, { x: {} })), (err: unknown) => err instanceof StatesError && err.error === 'States.QueryEvaluationError' && err.causeText.includes('$x.y'));
  const fn = compile('{% function($v){$v} %}').node;
  await assert.rejects(evaluateJsonata(fn, env({})), /not JSON/);
});

test('results are plain JSON (JSONata sequences become arrays)', async () => {
  const out = await evaluateJsonata(compile('{% $states.input.a.b %}').node, env({ a: [{ b: 1 }, { b: 2 }] }));
  assert.deepEqual(out, [1, 2]);
  assert.equal(Object.getPrototypeOf(out), Array.prototype);
  assert.equal(Object.prototype.hasOwnProperty.call(out, 'sequence'), false);
});

test('an expression that never ends is stopped by the time budget as States.QueryEvaluationError', { timeout: 30_000 }, async () => {
  // A tail call JSONata optimises into a loop of microtasks: without a budget it starves the
  // event loop for ever (the whole platform stops answering, TestState on the AWS endpoint
  // included).
  const { node, issues } = compile('{% ($f := function($x){ $f($x + 1) }; $f(1)) %}');
  assert.deepEqual(issues, []);
  await assert.rejects(
    evaluateJsonata(node, env({})),
    (err: unknown) => err instanceof StatesError && err.error === 'States.QueryEvaluationError' && /D1012/.test(err.causeText) && /infinite loop/.test(err.causeText),
  );
});

test('recursion past the stack bound is States.QueryEvaluationError too', { timeout: 30_000 }, async () => {
  const { node } = compile('{% ($f := function($x){ $x = 0 ? 0 : 1 + $f($x - 1) }; $f(1000000)) %}');
  await assert.rejects(evaluateJsonata(node, env({})), (err: unknown) => err instanceof StatesError && err.error === 'States.QueryEvaluationError');
  // A legitimate recursion within the bound still answers.
  assert.equal(await evaluateJsonata(compile('{% ($f := function($x){ $x = 0 ? 0 : 1 + $f($x - 1) }; $f(100)) %}').node, env({})), 100);
});
