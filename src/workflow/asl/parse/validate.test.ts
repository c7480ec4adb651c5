import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNimbusError, toProblem } from '../../../core/errors.ts';
import { parseStateMachine } from './validate.ts';

function problems(def: unknown): { path: string; state: string | null; field: string | null; message: string }[] {
  try {
    parseStateMachine(def as object);
  } catch (err) {
    assert.ok(isNimbusError(err));
    assert.equal(err.code, 'NIMBUS_ERR_VALIDATION');
    return err.extra.errors as never;
  }
  assert.fail('expected the definition to be rejected');
}

test('a valid definition compiles into scopes and states', () => {
  const m = parseStateMachine({
    Comment: 'c',
    TimeoutSeconds: 60,
    StartAt: 'P',
    States: {
      P: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: 1 }, End: true } } }], Next: 'M' },
      M: { Type: 'Map', ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } }, End: true },
    },
  });
  assert.deepEqual(Object.keys(m.scopes).sort(), ['', 'M', 'P/0']);
  assert.equal(m.scopes['P/0'].parent, '');
  assert.equal(m.scopes['P/0'].owner, 'P');
  assert.deepEqual(m.scopes['P/0'].variables, ['x']);
  assert.equal(m.timeoutSeconds, 60);
  assert.ok(Object.isFrozen(m.definition));
});

test('every problem is reported with its path, state and field, rendered as a problem document', () => {
  const errs = problems({
    StartAt: 'A',
    States: {
      A: { Type: 'Task', Resource: 'fn:f', TimeoutSeconds: -1, Retry: [{ ErrorEquals: [] }], Next: 'B' },
      B: { Type: 'Choice', Choices: [{ Variable: 'x', StringEquals: 'y', Next: 'A' }] },
    },
  });
  assert.deepEqual(
    errs.map((e) => [e.path, e.state, e.field]),
    [
      ['/States/A/Retry/0/ErrorEquals', 'A', 'Retry'],
      ['/States/A/TimeoutSeconds', 'A', 'TimeoutSeconds'],
      ['/States/B/Choices/0/Variable', 'B', 'Choices'],
    ],
  );
  let thrown: unknown;
  try {
    parseStateMachine({ StartAt: 'A', States: { A: { Type: 'Pass' } } });
  } catch (err) {
    thrown = err;
  }
  const problem = toProblem(thrown);
  assert.equal(problem.status, 400);
  assert.match(problem.detail, /^The state machine definition is invalid: \/States\/A: a Pass state needs "Next" or "End": true/);
  assert.ok(Array.isArray(problem.errors));
});

test('names with "/" and "~" are escaped in JSON pointers', () => {
  const errs = problems({ StartAt: 'a/b~c', States: { 'a/b~c': { Type: 'Pass' } } });
  assert.equal(errs[0].path, '/States/a~1b~0c');
});

test('definition size and nesting limits are configurable', () => {
  const def = { StartAt: 'A', States: { A: { Type: 'Pass', Result: 'x'.repeat(500), End: true } } };
  assert.throws(() => parseStateMachine(def, { limits: { maxDefinitionBytes: 100 } }), /limit is 100/);
  assert.throws(() => parseStateMachine(def, { limits: { maxPayloadBytes: 0 } }), /positive integer/);
  const nested = { StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'Q', States: { Q: { Type: 'Parallel', Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', End: true } } }], End: true } } }], End: true } } };
  assert.doesNotThrow(() => parseStateMachine(nested));
  assert.throws(() => parseStateMachine(nested, { limits: { maxNestingDepth: 1 } }), /nested 2 deep/);
});

test('state names are any text: Object.prototype members name no state unless defined, and __proto__ is a name like another', async () => {
  const { runToCompletion } = await import('../testing/driver.ts');
  for (const name of ['toString', 'hasOwnProperty', 'constructor', '__proto__']) {
    const startAt = problems({ StartAt: name, States: { P: { Type: 'Pass', End: true } } });
    assert.ok(startAt.some((p) => p.path === '/StartAt' && p.message.includes('not a state')), `StartAt ${name}: ${JSON.stringify(startAt)}`);
    const next = problems({ StartAt: 'P', States: { P: { Type: 'Pass', Next: name } } });
    assert.ok(next.some((p) => p.path === '/States/P/Next' && p.message.includes('is not a state name')), `Next ${name}: ${JSON.stringify(next)}`);
  }
  // The definition as JSON text, so that __proto__ is an own key as a caller's JSON has it.
  const text = JSON.stringify({ StartAt: 'constructor', States: { constructor: { Type: 'Pass', Result: 1, ResultPath: '$.a', Next: 'toString' }, toString: { Type: 'Pass', Result: 2, ResultPath: '$.b', Next: '__proto__' } } }).replace('"Next":"__proto__"}', '"Next":"__proto__"},"__proto__":{"Type":"Pass","Result":3,"ResultPath":"$.c","End":true}');
  const m = parseStateMachine(text);
  assert.deepEqual(Object.keys(m.states).sort(), ['__proto__', 'constructor', 'toString']);
  const run = await runToCompletion(m, {});
  assert.equal(run.status, 'SUCCEEDED', JSON.stringify(run.error));
  assert.deepEqual(run.output, { a: 1, b: 2, c: 3 });
});
