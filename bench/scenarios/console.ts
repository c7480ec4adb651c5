/**
 * The web console: what its first load weighs (gzip and brotli, as the platform sends it),
 * and the time from navigation to the functions page rendered (its first 100 rows), in Chromium, on
 * a platform with 1,000 functions against the same page on one with a single function
 * (the baseline: loading the app and one API answer), alternated in every round.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { buildConsole, CONSOLE_OUT } from '../../scripts/build-console.ts';
import { chromiumAvailable, launchChromium } from '../../test/helpers/browser.ts';
import type { TargetInfo } from '../lib/results.ts';
import type { Scenario, ScenarioOutput } from '../lib/scenario.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';

const MANY: TargetInfo = { id: 'nimbus', label: 'Functions page, 1,000 functions', description: 'Nimbus with 1,000 small functions deployed; the page lists them 100 at a time (with a 24-hour sparkline each).' };
const ONE: TargetInfo = { id: 'console-1-function', label: 'Functions page, 1 function', description: 'The same page on a Nimbus with one function: the fixed cost of loading the console and one API answer.' };
const ASSETS: TargetInfo = { id: 'console-assets', label: 'Console first load', description: 'index.html with the script and stylesheet it loads (dist/console), compressed as the platform serves them.' };
const DEPLOY_PARALLEL = 4;
const SAMPLES_PER_ROUND = 3;
/** Rows the functions page shows before "Show more" (PAGE_ROWS in console/src/pages/functions.tsx). */
const PAGE_ROWS = 100;

/** Bytes of the first load: index.html and every asset it references, compressed each on its own. */
function firstLoad(): { raw: number; gzip: number; br: number; files: string[] } {
  const html = readFileSync(join(CONSOLE_OUT, 'index.html'));
  const files = ['index.html', ...[...html.toString().matchAll(/(?:src|href)="\/console\/(assets\/[^"]+)"/g)].map((m) => m[1])];
  let raw = 0, gzip = 0, br = 0;
  for (const f of files) {
    const bytes = readFileSync(join(CONSOLE_OUT, f));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    br += brotliCompressSync(bytes).length;
  }
  return { raw, gzip, br, files };
}

async function withFunctions(n: number, log: (m: string) => void): Promise<NimbusTarget> {
  const nb = await startNimbus();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const name = `fn-${String(i).padStart(4, '0')}`;
      await nb.deploy(name, `export default { fetch() { return new Response(${JSON.stringify(name)}); } };`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEPLOY_PARALLEL, n) }, worker));
  log(`  ${n} functions deployed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return nb;
}

/** Milliseconds from navigation start to the moment the table holds `rows` rows (the page's first render), read in the page (cold cache: a new context). */
async function firstRender(browser: Awaited<ReturnType<typeof launchChromium>>['browser'], nb: NimbusTarget, rows: number): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    // Injected by the browser (not an inline script, so the CSP stays as it is): log in, and note when the rows are there.
    await context.addInitScript(`
      sessionStorage.setItem('nimbus.token', ${JSON.stringify(nb.token)});
      new MutationObserver((_, observer) => {
        if (document.querySelectorAll('#functions-table tbody tr').length >= ${rows}) {
          window.__rendered = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    `);
    const page = await context.newPage();
    await page.goto(`${nb.baseUrl}/console/functions`);
    // A function, not a string: the console's CSP forbids eval, which a string predicate needs.
    const handle = await page.waitForFunction(() => (globalThis as { __rendered?: number }).__rendered, undefined, { timeout: 60_000 });
    return (await handle.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

export const consoleScenario: Scenario = {
  id: 'console',
  title: 'Web console: first-load size and functions page with 1,000 functions',
  description:
    'The console is built (`npm run build`\'s Vite step); its first load is index.html plus the script and stylesheet it references, each compressed ' +
    'with gzip -9 and brotli as the platform serves them (goal: under 200 KB gzip). Then, in Debian\'s Chromium (headless, a fresh context per load, so a cold cache), ' +
    'the time from navigation start to the functions page rendered: its table holding its first 100 rows (it shows 100 at a time; observed in the page with a MutationObserver), on a Nimbus with 1,000 deployed functions ' +
    'and, alternated in every round, on one with a single function (the baseline).',
  async run(s, rec): Promise<ScenarioOutput> {
    rec.metric({ id: 'gzip', label: 'First load, gzip', unit: 'KB', better: 'lower', kind: 'size' });
    rec.metric({ id: 'br', label: 'First load, brotli', unit: 'KB', better: 'lower', kind: 'size' });
    rec.metric({ id: 'raw', label: 'First load, uncompressed', unit: 'KB', better: 'lower', kind: 'size' });
    rec.metric({ id: 'render', label: 'Navigation → functions page rendered (its first 100 rows)', unit: 'ms', better: 'lower', kind: 'latency' });
    await buildConsole();
    const size = firstLoad();
    rec.round('gzip', ASSETS.id, size.gzip / 1024);
    rec.round('br', ASSETS.id, size.br / 1024);
    rec.round('raw', ASSETS.id, size.raw / 1024);
    rec.note(`First load: ${size.files.join(', ')}.`);
    if (!chromiumAvailable()) {
      rec.skip(MANY.id, 'render', 'no Chromium at /usr/bin/chromium (apt-get install chromium)');
      return { targets: [ASSETS], settings: { functions: 0 }, baseline: ASSETS.id, headline: 'gzip' };
    }
    const n = s.quick ? 100 : 1000;
    const one = await withFunctions(1, s.log);
    const many = await withFunctions(n, s.log).catch(async (e: unknown) => {
      await one.stop();
      throw e;
    });
    const b = await launchChromium();
    try {
      await firstRender(b.browser, one, 1); // warm-up: Chromium's own first start
      for (let round = 1; round <= s.rounds; round++) {
        for (let i = 0; i < SAMPLES_PER_ROUND; i++) {
          rec.sample('render', ONE.id, await firstRender(b.browser, one, 1));
          rec.sample('render', MANY.id, await firstRender(b.browser, many, Math.min(n, PAGE_ROWS)));
        }
        s.log(`  round ${round} done`);
      }
    } finally {
      await b.close();
      await one.stop();
      await many.stop();
    }
    rec.note('Render times are exact order statistics of the samples (p99 ≈ the worst one). The page asks /api/v1/functions (every function, ~310 KB of JSON for 1,000) and /api/v1/usage?by=hour at once; rows appear with the first answer.');
    return { targets: [MANY, ONE, ASSETS], settings: { functions: n, samplesPerRound: SAMPLES_PER_ROUND, deployParallel: DEPLOY_PARALLEL }, baseline: ONE.id, headline: 'render' };
  },
};

