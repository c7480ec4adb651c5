import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nativeModulesAdvice, unloadableNativeModules } from './native-modules.ts';

test('the installed native modules load', async () => {
  assert.deepEqual(await unloadableNativeModules(), []);
});

test('a module without its binary is named, with the command that builds it', async () => {
  const load = async (name: string): Promise<unknown> => {
    if (name === 'isolated-vm') throw new Error("Cannot find module './out/isolated_vm'\nRequire stack: …");
    return import(name);
  };
  const failed = await unloadableNativeModules(load);
  assert.deepEqual(failed, [{ name: 'isolated-vm', error: "Cannot find module './out/isolated_vm'" }]);
  const line = nativeModulesAdvice(failed, '/opt/nimbus');
  assert.equal(line.includes('\n'), false);
  assert.match(line, /^isolated-vm has no working compiled binary \(Cannot find module '\.\/out\/isolated_vm'\); build it with `cd \/opt\/nimbus && npm rebuild isolated-vm`/);
  assert.match(line, /--allow-scripts=better-sqlite3,isolated-vm,esbuild/);
});

test('better-sqlite3 is probed by opening a database, where its binary is loaded', async () => {
  const load = async (name: string): Promise<unknown> =>
    name === 'better-sqlite3'
      ? {
          default: class {
            constructor() {
              throw new Error('Could not locate the bindings file. Tried: …');
            }
          },
        }
      : import(name);
  assert.deepEqual(await unloadableNativeModules(load), [{ name: 'better-sqlite3', error: 'Could not locate the bindings file. Tried: …' }]);
});
