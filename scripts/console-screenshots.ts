/**
 * Screenshots of every console page into docs/console/ (PNG): starts a platform from this
 * checkout with the examples, gives it some traffic, releases, a dead letter, a topic and
 * triggers, workflow executions and an alert, then photographs each page in Chromium at
 * 1280×800 (and the functions page on a phone). Re-run after changing the console:
 *   node --no-node-snapshot --import tsx scripts/console-screenshots.ts
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildConsole } from './build-console.ts';
import { chromiumAvailable, launchChromium } from '../test/helpers/browser.ts';
import { eventually, ROOT, startPlatform, type RunningPlatform } from '../test/helpers/platform.ts';

const OUT = join(ROOT, 'docs/console');

async function seed(p: RunningPlatform): Promise<{ execution: string; failedExecution: string; invocation: string }> {
  const json = async (path: string, init?: RequestInit) => {
    const res = await p.api(path, init);
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : ((await res.json()) as Record<string, unknown>);
  };
  const checkout = `export async function handler(event) {
  console.log('checkout', JSON.stringify({ items: event.items ?? 1 }));
  if ((event.items ?? 1) > 8) throw new Error('too many items');
  return { ok: true, total: (event.items ?? 1) * 12.5 };
}`;
  await p.deploy('checkout', checkout, { memoryMb: 256 });
  await p.deploy('checkout', checkout.replace('12.5', '11.9'), { memoryMb: 256 });
  await json('/api/v1/functions/checkout/aliases/live', { method: 'PUT', body: JSON.stringify({ routes: [{ version: 1, weight: 100 }] }) });
  await json('/api/v1/functions/checkout/aliases/live', { method: 'PUT', body: JSON.stringify({ routes: [{ version: 1, weight: 80 }, { version: 2, weight: 20 }] }) });
  await p.deploy('resize-image', `export async function handler(e) { console.log('resizing', e.key); return { key: e.key, width: 640 }; }`);
  await p.deploy('send-email', `export async function handler() { throw new Error('SMTP relay refused the connection'); }`);
  await json('/api/v1/functions/send-email/async-policy', { method: 'PUT', body: JSON.stringify({ maxAttempts: 1 }) });
  let invocation = '';
  for (let i = 0; i < 60; i++) {
    const r = await p.api('/api/v1/functions/checkout/invoke', { method: 'POST', body: JSON.stringify({ items: (i % 10) + 1 }) });
    invocation = r.headers.get('x-nimbus-invocation-id') ?? invocation;
    await r.text();
    await (await p.api('/api/v1/functions/resize-image/invoke', { method: 'POST', body: JSON.stringify({ key: `photos/${i}.jpg` }) })).text();
    if (i % 4 === 0) await fetch(`${p.url}/fn/hello/world`).then((r) => r.text());
  }
  const dead = (await json('/api/v1/functions/send-email/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: JSON.stringify({ to: 'ops@example.com' }) })) as { invocationId: string };
  await eventually(async () => ((await json(`/api/v1/async/${dead.invocationId}`)) as { state: string }).state === 'dead', 15_000);
  await json('/api/v1/topics', { method: 'POST', body: JSON.stringify({ name: 'orders' }) });
  await json('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: 'resize-image', topic: 'orders', filter: { type: 'order.paid' } }) });
  await json('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: 'checkout', schedule: '0 9 * * MON-FRI', timezone: 'Europe/Paris' }) });
  await json('/api/v1/workflows/order', {
    method: 'PUT',
    body: JSON.stringify({
      definition: {
        Comment: 'Charge, then ship or refund',
        StartAt: 'Charge',
        States: {
          Charge: { Type: 'Task', Resource: 'fn:checkout', Next: 'Paid?', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Refund' }] },
          'Paid?': { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Ship' }], Default: 'Refund' },
          Ship: { Type: 'Task', Resource: 'fn:resize-image', Parameters: { 'key.$': '$.total' }, Next: 'Done' },
          Refund: { Type: 'Fail', Error: 'PaymentFailed' },
          Done: { Type: 'Succeed' },
        },
      },
    }),
  });
  const ok = (await json('/api/v1/workflows/order/run', { method: 'POST', body: JSON.stringify({ input: { items: 3 } }) })) as { executionId: string };
  // Nine items fail the charge: caught, then refused (the graph shows the red path).
  const failed = (await (await p.api('/api/v1/workflows/order/run', { method: 'POST', body: JSON.stringify({ input: { items: 9 } }) })).json()) as { executionId: string };
  await json('/api/v1/alerts/checkout-errors', { method: 'PUT', body: JSON.stringify({ metric: 'error_rate', function: 'checkout', op: '>', threshold: 0.05, window: '5m' }) });
  await json('/api/v1/alerts/slow-p99', { method: 'PUT', body: JSON.stringify({ metric: 'p99_duration_ms', op: '>', threshold: 500, window: '5m' }) });
  return { execution: ok.executionId, failedExecution: failed.executionId, invocation };
}

if (!chromiumAvailable()) {
  process.stderr.write('console-screenshots: needs Chromium at /usr/bin/chromium (apt-get install chromium)\n');
  process.exit(2);
}
await buildConsole();
mkdirSync(OUT, { recursive: true });
const p = await startPlatform({ args: ['--examples', '--alert-interval', '1s'] });
const b = await launchChromium();
try {
  const { execution, failedExecution, invocation } = await seed(p);
  const context = await b.browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await context.addInitScript(`sessionStorage.setItem('nimbus.token', ${JSON.stringify(p.token)});`);
  const page = await context.newPage();
  const shots: Array<[string, string, string]> = [
    ['login', '/', '#token'],
    ['overview', '/', '.stats'],
    ['functions', '/functions', '#functions-table'],
    ['function', '/functions/checkout', '#aliases-table'],
    ['invocation', `/invocations/${invocation}`, '#invocation-logs'],
    ['async', '/async', '#dlq-table'],
    ['topics', '/topics', '#triggers-table'],
    ['workflows', '/workflows', '#workflows-table'],
    ['execution', `/executions/${failedExecution}`, '#state-graph'],
    ['execution-succeeded', `/executions/${execution}`, '#state-graph'],
    ['usage', '/usage', '#usage-table'],
    ['alerts', '/alerts', '#alerts-table'],
  ];
  for (const [name, path, ready] of shots) {
    const target = name === 'login' ? await b.browser.newPage({ viewport: { width: 1280, height: 800 } }) : page;
    await target.goto(`${p.url}/console${path}`);
    await target.locator(ready).first().waitFor();
    // Charts and live panels fill in from their first answers (the live log stream never goes idle, so no networkidle).
    await target.waitForTimeout(1500);
    if (name === 'overview') await target.waitForTimeout(11_000); // two /top samples for the live charts
    if (name === 'function') await target.locator('#logs-state', { hasText: 'live' }).waitFor();
    await target.screenshot({ path: join(OUT, `${name}.png`), fullPage: name !== 'login' });
    if (target !== page) await target.close();
    process.stdout.write(`docs/console/${name}.png\n`);
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${p.url}/console/functions/checkout`);
  await page.locator('#aliases-table').waitFor();
  await page.screenshot({ path: join(OUT, 'phone-function.png') });
  process.stdout.write('docs/console/phone-function.png\n');
} finally {
  await b.close();
  await p.stop();
  p.cleanup();
}
