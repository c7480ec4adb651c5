/** `assert`: Node's assertion functions and AssertionError; `assert.strict` is the strict variant. */
import { deepEqual } from './deep-equal.ts';
import { inspect } from './inspect.ts';

export class AssertionError extends Error {
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string;
  readonly generatedMessage: boolean;
  constructor(options: { message?: string | Error; actual?: unknown; expected?: unknown; operator?: string }) {
    const generated = options.message === undefined;
    super(
      generated
        ? `Expected values to be ${options.operator ?? '=='}:\n${inspect(options.actual)}\n\nshould equal\n\n${inspect(options.expected)}`
        : String(options.message),
    );
    this.name = 'AssertionError';
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator ?? 'fail';
    this.generatedMessage = generated;
  }
}

function fail(actual: unknown, expected: unknown, message: string | Error | undefined, operator: string, generated: string): never {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message: message ?? generated, actual, expected, operator });
}

type Matcher = RegExp | (new (...a: never[]) => unknown) | ((e: unknown) => boolean) | Record<string, unknown> | Error;

function matches(error: unknown, expected: Matcher | undefined): boolean {
  if (expected === undefined) return true;
  if (expected instanceof RegExp) return expected.test(String(error));
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof (expected as new () => unknown)) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return (expected as (e: unknown) => boolean).call({}, error) === true;
  }
  if (typeof expected === 'object' && expected !== null) {
    for (const k of Object.keys(expected)) {
      const want = (expected as Record<string, unknown>)[k];
      const got = (error as Record<string, unknown>)?.[k];
      if (want instanceof RegExp && typeof got === 'string' ? !want.test(got) : !deepEqual(got, want, true)) return false;
    }
    return true;
  }
  return false;
}

function makeAssert(strict: boolean) {
  const equalOp = strict ? (a: unknown, b: unknown) => Object.is(a, b) : (a: unknown, b: unknown) => a == b || (a !== a && b !== b);
  const assert = (value: unknown, message?: string | Error): void => ok(value, message);
  function ok(value: unknown, message?: string | Error): void {
    if (!value) fail(value, true, message, '==', 'The expression evaluated to a falsy value:\n\n  assert.ok(' + inspect(value) + ')\n');
  }
  const api = {
    ok,
    fail(message?: string | Error): never {
      return fail(undefined, undefined, message ?? 'Failed', 'fail', 'Failed');
    },
    equal(a: unknown, b: unknown, message?: string | Error) {
      if (!equalOp(a, b)) fail(a, b, message, strict ? 'strictEqual' : '==', `Expected values to be ${strict ? 'strictly' : 'loosely'} equal:\n\n${inspect(a)} !== ${inspect(b)}\n`);
    },
    notEqual(a: unknown, b: unknown, message?: string | Error) {
      if (equalOp(a, b)) fail(a, b, message, strict ? 'notStrictEqual' : '!=', `Expected "actual" to be ${strict ? 'strictly' : 'loosely'} unequal to: ${inspect(b)}`);
    },
    strictEqual(a: unknown, b: unknown, message?: string | Error) {
      if (!Object.is(a, b)) fail(a, b, message, 'strictEqual', `Expected values to be strictly equal:\n\n${inspect(a)} !== ${inspect(b)}\n`);
    },
    notStrictEqual(a: unknown, b: unknown, message?: string | Error) {
      if (Object.is(a, b)) fail(a, b, message, 'notStrictEqual', `Expected "actual" to be strictly unequal to: ${inspect(b)}`);
    },
    deepEqual(a: unknown, b: unknown, message?: string | Error) {
      if (!deepEqual(a, b, strict)) fail(a, b, message, strict ? 'deepStrictEqual' : 'deepEqual', `Expected values to be ${strict ? 'strictly' : 'loosely'} deep-equal:\n\n${inspect(a)}\n\nshould equal\n\n${inspect(b)}`);
    },
    notDeepEqual(a: unknown, b: unknown, message?: string | Error) {
      if (deepEqual(a, b, strict)) fail(a, b, message, strict ? 'notDeepStrictEqual' : 'notDeepEqual', `Expected "actual" not to be ${strict ? 'strictly' : 'loosely'} deep-equal to: ${inspect(b)}`);
    },
    deepStrictEqual(a: unknown, b: unknown, message?: string | Error) {
      if (!deepEqual(a, b, true)) fail(a, b, message, 'deepStrictEqual', `Expected values to be strictly deep-equal:\n\n${inspect(a)}\n\nshould equal\n\n${inspect(b)}`);
    },
    notDeepStrictEqual(a: unknown, b: unknown, message?: string | Error) {
      if (deepEqual(a, b, true)) fail(a, b, message, 'notDeepStrictEqual', `Expected "actual" not to be strictly deep-equal to: ${inspect(b)}`);
    },
    throws(fn: () => unknown, expected?: Matcher | string, message?: string | Error) {
      if (typeof expected === 'string') [message, expected] = [expected, undefined];
      try {
        fn();
      } catch (error) {
        if (!matches(error, expected as Matcher | undefined)) throw error;
        return;
      }
      fail(undefined, expected, message, 'throws', 'Missing expected exception.');
    },
    doesNotThrow(fn: () => unknown, expected?: Matcher | string, message?: string | Error) {
      try {
        fn();
      } catch (error) {
        fail(error, expected, typeof expected === 'string' ? expected : message, 'doesNotThrow', `Got unwanted exception.\nActual message: "${(error as Error)?.message}"`);
      }
    },
    async rejects(p: Promise<unknown> | (() => Promise<unknown>), expected?: Matcher | string, message?: string | Error) {
      if (typeof expected === 'string') [message, expected] = [expected, undefined];
      try {
        await (typeof p === 'function' ? p() : p);
      } catch (error) {
        if (!matches(error, expected as Matcher | undefined)) throw error;
        return;
      }
      fail(undefined, expected, message, 'rejects', 'Missing expected rejection.');
    },
    async doesNotReject(p: Promise<unknown> | (() => Promise<unknown>), expected?: Matcher | string, message?: string | Error) {
      try {
        await (typeof p === 'function' ? p() : p);
      } catch (error) {
        fail(error, expected, typeof expected === 'string' ? expected : message, 'doesNotReject', `Got unwanted rejection.\nActual message: "${(error as Error)?.message}"`);
      }
    },
    match(s: string, re: RegExp, message?: string | Error) {
      if (typeof s !== 'string' || !re.test(s)) fail(s, re, message, 'match', `The input did not match the regular expression ${String(re)}. Input:\n\n${inspect(s)}\n`);
    },
    doesNotMatch(s: string, re: RegExp, message?: string | Error) {
      if (typeof s !== 'string' || re.test(s)) fail(s, re, message, 'doesNotMatch', `The input was expected to not match the regular expression ${String(re)}. Input:\n\n${inspect(s)}\n`);
    },
    ifError(value: unknown) {
      if (value !== null && value !== undefined) throw value instanceof Error ? value : new AssertionError({ message: `ifError got unwanted exception: ${inspect(value)}`, actual: value, expected: null, operator: 'ifError' });
    },
    AssertionError,
  };
  if (strict) {
    api.equal = api.strictEqual;
    api.notEqual = api.notStrictEqual;
    api.deepEqual = api.deepStrictEqual;
    api.notDeepEqual = api.notDeepStrictEqual;
  }
  return Object.assign(assert, api);
}

export const strict = makeAssert(true);
const assert = Object.assign(makeAssert(false), { strict });
Object.assign(strict, { strict });

export const {
  ok, fail: failAssert, equal, notEqual, strictEqual, notStrictEqual, deepEqual: deepEqualAssert, notDeepEqual,
  deepStrictEqual, notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, match, doesNotMatch, ifError,
} = assert;
export { failAssert as fail, deepEqualAssert as deepEqual };
export default assert;
