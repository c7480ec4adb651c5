/** The Web Platform Tests section of bench/RESULTS.md, from the last `npm run bench -- wpt`. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function wptSection(resultsDir: string): string[] {
  const table = join(resultsDir, 'wpt', 'table.md');
  if (!existsSync(table)) return [];
  const lines = [
    '<a id="wpt"></a>',
    '## Web Platform Tests: Nimbus vs workerd',
    '',
    'The `.any.js` tests of the WPT directories of issue #16, each file run in a fresh Nimbus ' +
      'function and in its own workerd process, with testharness.js (`npm run bench -- wpt`; ' +
      'how it runs: [bench/README.md](README.md#web-platform-tests)). Per-file outcomes and the ' +
      'subtests that differ: `bench/results/wpt/files.json`.',
    '',
    readFileSync(table, 'utf8').trimEnd(),
  ];
  return [lines.join('\n')];
}
