import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeZip } from '../../../test/helpers/zip.ts';
import { AwsError } from './errors.ts';
import { readZip } from './zip.ts';

describe('readZip', () => {
  it('reads deflated entries with their names', () => {
    const files = readZip(makeZip({ 'index.mjs': 'export const handler = async () => 1;\n'.repeat(20), 'lib/a.js': 'x' }), 1 << 20);
    assert.deepEqual([...files.keys()], ['index.mjs', 'lib/a.js']);
    assert.equal(files.get('index.mjs')!.toString(), 'export const handler = async () => 1;\n'.repeat(20));
    assert.equal(files.get('lib/a.js')!.toString(), 'x');
  });

  it('reads an archive made by another writer (python zipfile), where one exists', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-zip-'));
    try {
      const out = join(dir, 'f.zip');
      writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => 2;');
      try {
        execFileSync('python3', ['-c', `import zipfile;z=zipfile.ZipFile(${JSON.stringify(out)},'w',zipfile.ZIP_DEFLATED);z.write(${JSON.stringify(join(dir, 'index.js'))},'index.js');z.writestr('dir/',b'');z.close()`]);
      } catch {
        t.skip('python3 is not installed');
        return;
      }
      const files = readZip(readFileSync(out), 1 << 20);
      assert.deepEqual([...files.keys()], ['index.js']);
      assert.equal(files.get('index.js')!.toString(), 'exports.handler = async () => 2;');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a zip, and archives larger unzipped than the limit', () => {
    assert.throws(() => readZip(Buffer.from('not a zip at all, just some text here'), 1000), (e) => e instanceof AwsError && e.type === 'InvalidParameterValueException');
    assert.throws(() => readZip(makeZip({ 'a.js': 'y'.repeat(2000) }), 1000), /smaller than 1000/);
  });
});
