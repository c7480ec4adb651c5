import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brief, cliError, firstDifference, verdict } from './compare.ts';
import { settle } from './outcome.ts';
import { behindWorkerd, tableMarkdown, tally, type CompatReport } from './report.ts';
import { wrapperSource } from './wrapper.ts';

describe('compat: comparing a probe in Nimbus with plain Node', () => {
  it('finds the first difference, with its path, in arrays, objects and scalars', () => {
    assert.equal(firstDifference({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }), null);
    assert.deepEqual(firstDifference({ a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] }), { path: '$.a[1].b', node: 'x', target: 'y' });
    assert.deepEqual(firstDifference([1, 2], [1, 2, 3]), { path: '$.length', node: 2, target: 3 });
    assert.deepEqual(firstDifference({ a: 1 }, { a: 1, 'b-c': 2 }), { path: '$["b-c"]', node: undefined, target: 2 });
    assert.deepEqual(firstDifference({ n: null }, { n: {} }), { path: '$.n', node: null, target: {} });
    assert.deepEqual(firstDifference([], {}), { path: '$', node: [], target: {} });
    // key order is not a difference (JSON objects are unordered)
    assert.equal(firstDifference({ a: 1, b: 2 }, { b: 2, a: 1 }), null);
  });

  it('gives each status its reason', () => {
    const ok = (value: unknown) => ({ ok: true as const, value });
    assert.deepEqual(verdict(ok({ x: 1 }), { kind: 'ran', outcome: ok({ x: 1 }) }), { status: 'works', why: '' });
    assert.deepEqual(verdict(ok({ x: 1 }), { kind: 'ran', outcome: ok({ x: 2 }) }), { status: 'differs', why: '$.x: Node 1, Nimbus 2' });
    assert.deepEqual(verdict(ok([1]), { kind: 'ran', outcome: ok([2]) }, 'workerd'), { status: 'differs', why: '$[0]: Node 1, workerd 2' });
    assert.deepEqual(verdict(ok(1), { kind: 'ran', outcome: { ok: false, error: 'TypeError: boom' } }), { status: 'fails', why: 'TypeError: boom' });
    assert.deepEqual(verdict(ok(1), { kind: 'deploy-failed', why: 'the Node built-in "http" …' }), { status: 'fails', why: 'deploy refused: the Node built-in "http" …' });
    assert.deepEqual(verdict(ok(1), { kind: 'crash', why: 'HTTP 500' }), { status: 'fails', why: 'crashed: HTTP 500' });
    // a probe that fails in Node is the probe's fault, whatever Nimbus did
    assert.equal(verdict({ ok: false, error: 'x' }, { kind: 'ran', outcome: ok(1) }).status, 'probe-broken');
  });

  it("takes a failed deploy's first error from the CLI's output, without the file position", () => {
    const out = [
      '• bundling /tmp/jd…',
      'nimbus: ../../x/node_modules/jsdom/lib/api.js:5:20: the Node built-in "vm" imported by package "jsdom" is not available in functions: a function cannot create contexts',
      '    const vm = require("vm");',
      '  ../../x/node_modules/undici/lib/core/util.js:5:37: the Node built-in "node:http" …',
    ].join('\n');
    assert.equal(cliError(out), 'the Node built-in "vm" imported by package "jsdom" is not available in functions: a function cannot create contexts');
    assert.equal(cliError('nimbus: compat-x: the module threw while initialising'), 'compat-x: the module threw while initialising');
    assert.equal(cliError('a\nb\nc\nd'), 'b / c / d');
  });

  it('cuts long values in reasons', () => {
    assert.equal(brief('x'.repeat(200), 10), '"xxxxxxxx…');
    assert.equal(brief(undefined), 'absent');
  });

  it('settles a probe as JSON data, or as its error with the first stack frame', async () => {
    assert.deepEqual(await settle(() => ({ d: new Date(0), u: undefined, n: [1] })), { ok: true, value: { d: '1970-01-01T00:00:00.000Z', n: [1] } });
    assert.deepEqual(await settle(async () => undefined), { ok: true, value: null });
    const failed = await settle(() => {
      throw new RangeError('too far');
    });
    assert.equal(failed.ok, false);
    assert.match(!failed.ok ? failed.error : '', /^RangeError: too far \(at .*compare\.test\.ts/);
    assert.deepEqual(await settle(() => Promise.reject('plain')), { ok: false, error: 'plain' });
  });

  it('writes the table with counts, and keeps cells on one line', () => {
    const report: CompatReport = {
      date: '2026-12-06T19:00:00.000Z',
      nimbusCommit: 'abc1234',
      node: 'v20.20.2',
      loadAvg1m: 3.5,
      elapsedSec: 10,
      packages: [
        { pkg: 'a', version: '1.0.0', exercises: 'x', status: 'works', why: '' },
        { pkg: 'b', version: '2.0.0', exercises: 'y', status: 'fails', why: 'Error: a | b\n  at c' },
        { pkg: 'c', version: null, exercises: 'reference', status: 'reference', why: '' },
      ],
    };
    assert.deepEqual(tally(report.packages), { works: 1, differs: 0, fails: 1, 'probe-broken': 0 });
    const md = tableMarkdown(report);
    assert.match(md, /^1 of 2 packages give the same output in Nimbus as in plain Node v20\.20\.2 \(0 differ, 1 fail\); run 2026-12-06 on abc1234, load average 3\.50\./);
    assert.match(md, /\| `b` \| 2\.0\.0 \| \*\*fails\*\* \| y \| Error: a \\\| b at c \|/);
    assert.match(md, /\| `c` \| — \| see drivers tests \|/);
  });

  it('with workerd results, adds its column and names what works there but not in Nimbus', () => {
    const base = { date: '2026-12-06T19:00:00.000Z', nimbusCommit: 'abc1234', node: 'v20.20.2', loadAvg1m: 1, elapsedSec: 1 };
    const report: CompatReport = {
      ...base,
      packages: [
        { pkg: 'a', version: '1', exercises: 'x', status: 'works', why: '', workerd: { status: 'fails', why: 'EvalError: no eval' } },
        { pkg: 'b', version: '1', exercises: 'y', status: 'differs', why: '$.x: Node 1, Nimbus 2', workerd: { status: 'works', why: '' } },
      ],
    };
    assert.deepEqual(behindWorkerd(report.packages), ['b']);
    const md = tableMarkdown(report);
    assert.match(md, /; in workerd with `nodejs_compat`, 1 \(0 differ, 1 fail\);.* Work in workerd but not in Nimbus: `b`\./);
    assert.match(md, /\| package \| version \| Nimbus \| workerd \|/);
    assert.match(md, /\| `a` \| 1 \| works \| \*\*fails\*\* \| x \| workerd: EvalError: no eval \|/);
    const caughtUp = tableMarkdown({ ...report, packages: [report.packages[0]] });
    assert.match(caughtUp, /Every package that works in workerd works in Nimbus\./);
  });

  it('wraps a probe by absolute path, and refuses names that are not probe names', () => {
    assert.match(wrapperSource('pg'), /import probe from ".*\/bench\/compat\/probes\/pg\.ts";/);
    assert.throws(() => wrapperSource('../../etc/x'), /bad probe name/);
  });
});
