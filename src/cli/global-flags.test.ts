import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from './args.ts';
import { splitGlobalFlags } from './global-flags.ts';

test('flags before the command are kept; --data before it is the data directory', () => {
  assert.deepEqual(splitGlobalFlags(['--data', 'X', 'ls']), { command: 'ls', rest: ['--data-dir=X'] });
  assert.deepEqual(splitGlobalFlags(['--data=X', '--json', 'invocations', 'hello']), { command: 'invocations', rest: ['--data-dir=X', '--json', 'hello'] });
  assert.deepEqual(splitGlobalFlags(['--url', 'http://h:1', 'invoke', 'f', '--data', '{}']), { command: 'invoke', rest: ['--url=http://h:1', 'f', '--data', '{}'] });
});

test('before up and token, --data stays --data (their data-directory flag)', () => {
  assert.deepEqual(splitGlobalFlags(['--data', '/d', 'up', '--port', '0']), { command: 'up', rest: ['--data=/d', '--port', '0'] });
  assert.deepEqual(splitGlobalFlags(['--data', '/d', 'token']), { command: 'token', rest: ['--data=/d'] });
});

test('no flags: the command and its arguments as given', () => {
  assert.deepEqual(splitGlobalFlags(['ls', '--json']), { command: 'ls', rest: ['--json'] });
  assert.deepEqual(splitGlobalFlags([]), { command: undefined, rest: [] });
  assert.deepEqual(splitGlobalFlags(['--help']), { command: 'help', rest: ['--help'] });
  assert.deepEqual(splitGlobalFlags(['--version']), { command: '--version', rest: [] });
});

test('a flag of one command before the command, or a value missing, is a usage error saying where it goes', () => {
  assert.throws(() => splitGlobalFlags(['--memory', '128', 'deploy']), (e: Error) => e instanceof UsageError && /--memory goes after the command/.test(e.message));
  assert.throws(() => splitGlobalFlags(['--url']), (e: Error) => e instanceof UsageError && /--url needs a value/.test(e.message));
});
