import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { flag, has, inlineOrFile, jsonArg, onlyFlags, parseArgs, UsageError } from './args.ts';
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

  it('an unknown flag is unknown wherever it stands, the last one included; a known one at the end needs a value', () => {
    const usage = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: Error) => e instanceof UsageError && message.test(e.message));
    for (const argv of [['--bogus'], ['--bogus', 'x'], ['fn', '--json', '--bogus'], ['--limit', '5', '--bogus']]) {
      usage(() => onlyFlags(parseArgs(argv, BOOLEANS), ['json', 'limit']), /^unknown flag --bogus; this command takes --json --limit$/);
    }
    const trailing = parseArgs(['fn', '--json', '--limit'], BOOLEANS);
    assert.deepEqual(trailing.positionals, ['fn']);
    assert.equal(has(trailing, 'json'), true);
    usage(() => onlyFlags(trailing, ['json', 'limit']), /^--limit needs a value$/);
    usage(() => flag(trailing, 'limit'), /^--limit needs a value$/);
    // A boolean at the end takes no value.
    onlyFlags(parseArgs(['--json'], BOOLEANS), ['json']);
  });

  it('nimbus <command> --bogus says the flag is unknown, as with a value after it; a known flag at the end needs a value', () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    // No platform is needed: each is refused before any request (the URL leads nowhere).
    const env = { ...process.env, NIMBUS_URL: 'http://127.0.0.1:9', NIMBUS_TOKEN: 't' };
    const run = (...argv: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...argv], { encoding: 'utf8', env });
    for (const argv of [['ls', '--bogus'], ['ls', '--bogus', 'x'], ['invocations', '--json', '--bogus'], ['token', '--bogus']]) {
      const r = run(...argv);
      assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^nimbus: unknown flag --bogus; this command takes /, argv.join(' '));
    }
    for (const [argv, name] of [[['invocations', '--limit'], 'limit'], [['ls', '--url'], 'url'], [['token', '--data'], 'data']] as const) {
      const r = run(...argv);
      assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, `nimbus: --${name} needs a value\n`, argv.join(' '));
    }
  });

  it('times past what Date can show are printed as numbers, not thrown', () => {
    assert.equal(time(0), '1970-01-01 00:00:00Z');
    assert.match(time(1e23), /^1e\+23 \(epoch ms\)$/);
  });
});
