import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { has, inlineOrFile, jsonArg, parseArgs, UsageError } from './args.ts';
import { time } from './format.ts';

describe('CLI arguments', () => {
  const BOOLEANS = new Set(['json', 'wait']);

  it('a boolean flag is off when written --flag=false (or 0, no, off)', () => {
    assert.equal(has(parseArgs(['--json'], BOOLEANS), 'json'), true);
    assert.equal(has(parseArgs(['--json=true'], BOOLEANS), 'json'), true);
    for (const v of ['false', 'FALSE', '0', 'no', 'off']) assert.equal(has(parseArgs([`--json=${v}`], BOOLEANS), 'json'), false, v);
    assert.equal(has(parseArgs([], BOOLEANS), 'wait'), false);
  });

  it('@file values: the file text; a file that cannot be read is a usage error naming the flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-args-'));
    try {
      writeFileSync(join(dir, 'e.json'), '{"a":1}');
      writeFileSync(join(dir, 'bad.json'), '{bad');
      assert.equal(inlineOrFile('plain', '--data'), 'plain');
      assert.deepEqual(jsonArg(`@${join(dir, 'e.json')}`, '--data', 'x'), { a: 1 });
      assert.throws(() => inlineOrFile(`@${join(dir, 'missing.json')}`, '--data'), (e: Error) => e instanceof UsageError && /--data: cannot read .*missing\.json \(ENOENT\)/.test(e.message));
      assert.throws(() => jsonArg(`@${join(dir, 'bad.json')}`, '--input', `--input '{}'`), (e: Error) => e instanceof UsageError && /--input is not valid JSON.*e\.g\. --input/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('times past what Date can show are printed as numbers, not thrown', () => {
    assert.equal(time(0), '1970-01-01 00:00:00Z');
    assert.match(time(1e23), /^1e\+23 \(epoch ms\)$/);
  });
});
