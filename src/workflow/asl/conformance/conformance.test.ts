import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases, runCase } from './cases.ts';

const files = loadCases(new URL('./', import.meta.url));

test('the conformance suite is not empty', () => {
  assert.ok(files.reduce((n, f) => n + f.cases.length, 0) > 100);
});

for (const { file, cases } of files) {
  describe(file, () => {
    const names = new Set<string>();
    for (const c of cases) {
      assert.ok(!names.has(c.name), `duplicate case name ${c.name} in ${file}`);
      names.add(c.name);
      test(c.name, () => runCase(c));
    }
  });
}
