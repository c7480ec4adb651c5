import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isNimbusError } from '../../core/errors.ts';
import { appDirName, materialiseApp, packApp, removeAppDirs } from './app-archive.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function refused(input: unknown, pattern: RegExp): void {
  assert.throws(() => packApp(input), (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && pattern.test(e.message));
}

describe('app archive', () => {
  it('is canonical: the same files in another order pack the same', () => {
    const a = packApp({ files: { 'b.py': b64('b'), 'a/x.py': b64('x') } });
    const b = packApp({ files: { 'a/x.py': b64('x'), 'b.py': b64('b') } });
    assert.equal(a, b);
  });

  it('refuses paths that leave the directory, and other ugly input', () => {
    for (const path of ['../etc/passwd', '/etc/passwd', 'a/../../b', './a', 'a//b', 'a\\\\b', 'a\0b', '', 'x'.repeat(600)]) refused({ files: { [path]: b64('x') } }, /must be relative/);
    // Names the file system cannot create (NAME_MAX, in bytes) are refused at deploy, not when an instance unpacks them.
    for (const path of ['x'.repeat(256) + '.py', 'd'.repeat(256) + '/a.py', 'é'.repeat(128)]) refused({ files: { [path]: b64('x') } }, /at most 255/);
    packApp({ files: { ['x'.repeat(255)]: b64('x'), ['é'.repeat(127)]: b64('x') } });
    refused({ files: {} }, /empty/);
    refused({ files: { 'a.py': 'not base64!' } }, /base64/);
    refused({ files: { a: b64('1'), 'a/b': b64('2') } }, /both a file and a directory/);
    refused({ files: { 'a.py': b64('1') }, executable: ['b'] }, /executable/);
    refused(null, /must be an object/);
    refused({ files: ['a'] }, /path → base64/);
  });

  it('unpacks once per content into its own directory, with the executable bit where asked', () => {
    const root = mkdtempSync(join(tmpdir(), 'nimbus-archive-'));
    try {
      const code = packApp({ files: { 'run.sh': b64('#!/bin/sh\necho hi\n'), 'lib/data.txt': b64('data') }, executable: ['run.sh'] });
      const dir = materialiseApp(code, root);
      assert.equal(materialiseApp(code, root), dir);
      assert.equal(readFileSync(join(dir, 'lib/data.txt'), 'utf8'), 'data');
      assert.equal(statSync(join(dir, 'run.sh')).mode & 0o111, 0o111);
      assert.equal(statSync(join(dir, 'lib/data.txt')).mode & 0o111, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('removes the unpacked apps not kept, by the code hash a version stores, leaving a start in progress alone', () => {
    const root = mkdtempSync(join(tmpdir(), 'nimbus-apps-test-'));
    try {
      const a = packApp({ files: { 'a.py': b64('a') } });
      const b = packApp({ files: { 'b.py': b64('b') } });
      const dirA = materialiseApp(a, root);
      materialiseApp(b, root);
      mkdirSync(join(root, '.tmp-x-1'));
      const hashA = createHash('sha256').update(a).digest('hex');
      assert.equal(join(root, appDirName(hashA)), dirA);
      const removed = removeAppDirs(root, new Set([appDirName(hashA)]));
      assert.equal(removed.length, 1);
      assert.deepEqual(readdirSync(root).sort(), ['.tmp-x-1', appDirName(hashA)].sort());
      assert.deepEqual(removeAppDirs(join(root, 'absent'), new Set()), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
