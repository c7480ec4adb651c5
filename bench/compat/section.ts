/** The npm compatibility section of bench/RESULTS.md, from the last `npm run bench -- compat`. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function compatSection(resultsDir: string): string[] {
  const table = join(resultsDir, 'compat.md');
  if (!existsSync(table)) return [];
  return [
    [
      '<a id="compat"></a>',
      '## npm packages: Nimbus and workerd vs plain Node',
      '',
      'Each package is exercised by a small probe (bench/compat/probes/) deployed as a Nimbus function ' +
        'with `nimbus deploy`, run in workerd with `nodejs_compat` (bundled as wrangler does) and in plain Node; ' +
        "each runtime's output (JSON) must equal Node's " +
        '(`npm run bench -- compat`; how it runs: [bench/README.md](README.md#npm-compatibility-suite)). ' +
        'Raw results: `bench/results/compat.json`.',
      '',
      readFileSync(table, 'utf8').trimEnd(),
    ].join('\n'),
  ];
}
