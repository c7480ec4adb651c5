/**
 * The web console in a real browser (Debian's Chromium through playwright-core) against a
 * real platform: log in, deploy and invoke a function, see its invocation and live log
 * line, split 80/20 and roll back, redrive a dead letter, open a workflow execution's
 * graph, download usage CSV; and the safety properties: the CSP header, the token in
 * neither a cookie nor a URL, function output shown as text. One browser for the file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { buildConsole } from '../../scripts/build-console.ts';
import { chromiumAvailable, launchChromium, type LaunchedBrowser } from '../helpers/browser.ts';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const skip = chromiumAvailable() ? false : 'needs Chromium at /usr/bin/chromium (apt-get install chromium)';

/** What the function returns and logs: markup that would run script if it were ever rendered as HTML. */
const XSS = '<img src=x onerror="window.__pwned=1">';

const GREET_V1 = `export async function handler(event) {
  console.log('greet-line ' + JSON.stringify(event));
  return { html: ${JSON.stringify(XSS)}, version: 1 };
}
`;
const GREET_V2 = GREET_V1.replace('version: 1', 'version: 2');

describe('web console', { skip }, () => {
  let p: RunningPlatform;
  let b: LaunchedBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    await buildConsole();
    p = await startPlatform();
    b = await launchChromium();
    const context = await b.browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      // A CSP violation is reported on the console: any is a failure of the page.
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
    });
  });

  after(async () => {
    await b?.close();
    await p?.stop();
    p?.cleanup();
  });

  it('is served with a strict CSP and cache headers', async () => {
    const res = await fetch(`${p.url}/console/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const html = await res.text();
    assert.doesNotMatch(html, /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(p.url + asset);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });

  it('logs in with the token, kept out of cookies and URLs', async () => {
    await page.goto(`${p.url}/console/`);
    await page.fill('#token', 'wrong-token');
    await page.click('button[type=submit]');
    // The API's problem, as the API gave it.
    await page.locator('.problem', { hasText: 'NIMBUS_ERR_UNAUTHORIZED' }).waitFor();
    await page.fill('#token', p.token);
    await page.click('button[type=submit]');
    await page.locator('nav[aria-label=Console]').waitFor();
    const cookies = await page.context().cookies();
    assert.deepEqual(cookies, []);
    assert.ok(!page.url().includes(p.token));
    assert.equal(await page.evaluate('document.cookie'), '');
    assert.equal(await page.evaluate("sessionStorage.getItem('nimbus.token')"), p.token);
    assert.equal(await page.evaluate('localStorage.length'), 0);
  });

  it('deploys a function from the console, invokes it, shows the output as text, its invocation and its live log line', async () => {
    await page.click('nav >> text=Functions');
    await page.click('text=Deploy a function');
    await page.fill('#deploy-name', 'greet');
    await page.fill('#deploy-code', GREET_V1);
    await page.click('form[aria-label="Deploy a function"] button[type=submit]');
    await page.waitForURL(/\/console\/functions\/greet$/);
    await page.locator('#logs-state', { hasText: 'live' }).waitFor();

    await page.fill('#invoke-event', '{"who":"console"}');
    await page.click('#invoke button[type=submit]');
    const result = page.locator('pre[aria-label="Invocation result"]');
    await result.waitFor();
    assert.match(await result.innerText(), /<img src=x onerror=\\?"window\.__pwned=1\\?">/);
    assert.equal(await page.locator('img').count(), 0, 'function output is never markup');
    assert.equal(await page.evaluate('window.__pwned'), undefined);

    // The live log line, over SSE.
    await page.locator('#live-logs .log-msg', { hasText: 'greet-line {"who":"console"}' }).waitFor();
    // Its invocation in the table, then its record with the log line.
    const row = page.locator('#invocations-table tbody tr', { hasText: 'success' }).first();
    await row.waitFor();
    await row.locator('a').click();
    await page.waitForURL(/\/console\/invocations\//);
    await page.locator('#invocation-logs .log-msg', { hasText: 'greet-line' }).waitFor();
    assert.match(await page.locator('dl.kv').innerText(), /greet version 1/);
  });

  it('deploys a second version, splits live 80/20 and rolls back', async () => {
    await page.goto(`${p.url}/console/functions/greet`);
    await page.fill('#deploy-code', GREET_V2);
    await page.click('form[aria-label="Deploy a new version of greet"] button[type=submit]');
    await page.locator('[role=status]', { hasText: 'Deployed greet version 2' }).waitFor();
    // live → 1, then 1=80 / 2=20 (so a rollback has somewhere to go).
    await eventually(async () => (await page.locator('#alias-v2 option').allInnerTexts()).includes('2'));
    await page.fill('#alias-name', 'live');
    await page.selectOption('#alias-v1', '1');
    await page.fill('#alias-weight', '100');
    await page.click('text=Save alias');
    await page.locator('#aliases-table tr[data-alias=live] .routes', { hasText: 'version 1' }).waitFor();
    await page.fill('#alias-weight', '80');
    await page.selectOption('#alias-v2', '2');
    await page.click('text=Save alias');
    await page.locator('#aliases-table tr[data-alias=live] .routes', { hasText: '1=80% · 2=20%' }).waitFor();
    const split = (await (await p.api('/api/v1/functions/greet/aliases/live')).json()) as { routes: unknown };
    assert.deepEqual(split.routes, [
      { version: 1, weight: 80 },
      { version: 2, weight: 20 },
    ]);
    await page.click('button[aria-label="Roll back live"]');
    await page.locator('#aliases-table tr[data-alias=live] .routes', { hasText: /^version 1$/ }).waitFor();
    const back = (await (await p.api('/api/v1/functions/greet/aliases/live')).json()) as { routes: unknown };
    assert.deepEqual(back.routes, [{ version: 1, weight: 100 }]);
  });

  it('changes scaling live, without a new version', async () => {
    await page.fill('#scale-maxInstances', '7');
    await page.click('text=Change scaling');
    await page.locator('[role=status]', { hasText: 'now 0–7 instances' }).waitFor();
    const scale = (await (await p.api('/api/v1/functions/greet/scale')).json()) as { override: unknown; version: number };
    assert.deepEqual([scale.override, scale.version], [{ maxInstances: 7 }, 2]);
  });

  it('redrives a dead letter', async () => {
    await p.deploy('flaky', `export async function handler() { throw new Error('not yet'); }`);
    await p.api('/api/v1/functions/flaky/async-policy', { method: 'PUT', body: JSON.stringify({ maxAttempts: 1 }) });
    const accepted = (await (await p.api('/api/v1/functions/flaky/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: '{"n":1}' })).json()) as { invocationId: string };
    const id = accepted.invocationId;
    await eventually(async () => ((await (await p.api(`/api/v1/async/${id}`)).json()) as { state: string }).state === 'dead', 15_000);
    // Fixed: the redriven event now succeeds.
    await p.deploy('flaky', `export async function handler(e) { return e; }`);
    await page.click('nav >> text=Async & dead letters');
    const row = page.locator(`#dlq-table tr[data-id="${id}"]`);
    await row.waitFor();
    await row.locator('text=Redrive').click();
    await page.locator('[role=status]', { hasText: `${id} redriven` }).waitFor();
    await eventually(async () => ((await (await p.api(`/api/v1/async/${id}`)).json()) as { state: string }).state === 'succeeded', 15_000);
  });

  it("opens a workflow execution's graph, each state coloured by its status", async () => {
    await p.deploy('double', `export async function handler(e) { return { n: e.n * 2 }; }`);
    const definition = {
      StartAt: 'Double',
      States: {
        Double: { Type: 'Task', Resource: 'fn:double', Next: 'Big?' },
        'Big?': { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: 100, Next: 'Huge' }], Default: 'Done' },
        Huge: { Type: 'Fail', Error: 'TooBig' },
        Done: { Type: 'Succeed' },
      },
    };
    assert.equal((await p.api('/api/v1/workflows/doubler', { method: 'PUT', body: JSON.stringify({ definition }) })).status, 201);
    const run = (await (await p.api('/api/v1/workflows/doubler/run', { method: 'POST', body: JSON.stringify({ input: { n: 3 } }) })).json()) as { executionId: string };
    await page.click('nav >> text=Workflows');
    await page.locator('#executions-table a').first().click();
    await page.waitForURL(new RegExp(`/console/executions/${run.executionId}$`));
    const node = (name: string) => page.locator(`#state-graph g[data-state="${name}"]`);
    await node('Double').waitFor();
    await eventually(async () => (await node('Done').getAttribute('data-status')) === 'succeeded');
    assert.deepEqual(
      await Promise.all(['Double', 'Big?', 'Huge', 'Done'].map((s) => node(s).getAttribute('data-status'))),
      ['succeeded', 'succeeded', 'not-run', 'succeeded'],
    );
    // The definition of the version an execution runs (the API the page reads it from).
    const v1 = (await (await p.api('/api/v1/workflows/doubler?version=1')).json()) as { definitionVersion: number; definition: unknown };
    assert.deepEqual([v1.definitionVersion, v1.definition], [1, definition]);
    const missing = await p.api('/api/v1/workflows/doubler?version=9');
    assert.deepEqual([missing.status, ((await missing.json()) as { code: string }).code], [404, 'NIMBUS_ERR_WORKFLOW_NOT_FOUND']);
    assert.equal((await p.api('/api/v1/workflows/doubler?version=x')).status, 400);
    // A state is a button: its events alone in the history.
    await node('Double').focus();
    await page.keyboard.press('Enter');
    await page.locator('h2', { hasText: 'History of Double' }).waitFor();
    const types = await page.locator('#history-table tbody td:nth-child(3)').allInnerTexts();
    assert.ok(types.length > 0 && types.includes('TaskStateEntered'), types.join(', '));
  });

  it("shows the overview's figures from /top's total: every invocation of every function", async () => {
    const top = (await (await p.api('/api/v1/top?window=5m')).json()) as { items: Array<{ requests: number; errors: number }>; total: { requests: number; errors: number; p99Ms: number | null } };
    assert.ok(top.total.requests > 0);
    assert.equal(top.total.requests, top.items.reduce((n, i) => n + i.requests, 0));
    assert.equal(top.total.errors, top.items.reduce((n, i) => n + i.errors, 0));
    await page.click('nav >> text=Overview');
    const requests = page.locator('.stat', { hasText: 'Requests (5 min)' }).locator('.stat-value');
    await eventually(async () => Number((await requests.innerText()).replace(/,/g, '')) >= top.total.requests);
    assert.notEqual(await page.locator('.stat', { hasText: 'p99' }).locator('.stat-value').innerText(), '–');
  });

  it("creates a topic and a timer, and shows a bad schedule as the API's problem", async () => {
    await page.click('nav >> text=Topics & triggers');
    await page.fill('#topic-name', 'orders');
    await page.click('text=Create');
    await page.locator('table', { hasText: 'orders' }).first().waitFor();
    await page.fill('#trigger-target', 'greet');
    await page.fill('#trigger-schedule', 'not a schedule');
    await page.click('text=Add trigger');
    await page.locator('.problem', { hasText: 'NIMBUS_ERR_VALIDATION' }).waitFor();
    await page.fill('#trigger-schedule', '0 9 * * MON-FRI');
    await page.click('text=Add trigger');
    await page.locator('#triggers-table tr', { hasText: '0 9 * * MON-FRI' }).waitFor();
    const list = (await (await p.api('/api/v1/triggers?function=greet')).json()) as { items: Array<{ schedule?: string }> };
    assert.deepEqual(list.items.map((t) => t.schedule), ['0 9 * * MON-FRI']);
  });

  it('downloads usage as CSV', async () => {
    await page.click('nav >> text=Usage & cost');
    await page.locator('#usage-table', { hasText: 'greet' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv.split('\n')[0], /^function,period,requests,errors/);
    assert.match(csv, /^greet,\d{4}-\d\d-\d\dT00:00:00\.000Z,[1-9]/m);
  });

  it('is readable on a phone, with the menu behind a button', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${p.url}/console/functions`);
    const link = page.locator('nav >> text=Alerts');
    assert.equal(await link.isVisible(), false);
    await page.click('button.menu-toggle');
    await link.click();
    await page.locator('h1', { hasText: 'Alerts' }).waitFor();
    // No page is wider than the phone (wide tables and the graph scroll inside their own boxes).
    const execution = ((await (await p.api('/api/v1/executions?limit=1')).json()) as { items: Array<{ executionId: string }> }).items[0].executionId;
    for (const path of ['/', '/functions', '/functions/greet', '/async', '/topics', '/workflows', `/executions/${execution}`, '/usage', '/alerts']) {
      await page.goto(`${p.url}/console${path}`);
      await page.locator('h1').first().waitFor();
      await page.locator('main .card, main table').first().waitFor();
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the phone`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(pageErrors, []);
  });
});

describe('--no-console', () => {
  it('leaves /console unserved (404) while the API works', async () => {
    const p = await startPlatform({ args: ['--no-console'] });
    try {
      const res = await fetch(`${p.url}/console/`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { code: string }).code, 'NIMBUS_ERR_NOT_FOUND');
      assert.equal((await p.api('/api/v1/functions')).status, 200);
    } finally {
      await p.stop();
      p.cleanup();
    }
  });
});
