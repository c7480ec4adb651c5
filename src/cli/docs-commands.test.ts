/**
 * The command users are told to type is `nimbus`. The npm name `nimbus` belongs to an
 * unrelated package, so `npx nimbus …` outside a checkout would fetch and run a stranger's
 * code: no README, docs page or example (they ship in the package) may suggest it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('no README, docs page or example tells the user to run npx nimbus', () => {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), ...readdirSync(join(ROOT, 'examples'), { recursive: true }).map(String).filter((f) => /\.(ts|js|mjs|md|json)$/.test(f) && !f.includes('node_modules')).map((f) => `examples/${f}`)];
  assert.ok(files.length > 5, 'the files were found');
  const offending: string[] = [];
  for (const file of files) {
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        // The README's warning names it to say never to run it.
        if (/npx nimbus\b/.test(line) && !/never run `npx nimbus`/.test(line)) offending.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offending, []);
});
