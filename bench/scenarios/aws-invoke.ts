/**
 * Lambda Invoke through the AWS-compatible endpoint against Nimbus's own invoke API and the
 * function's own URL (/fn), on one platform, same function, same event: the difference is
 * what SigV4 verification and the Lambda protocol cost. The request is signed once (a
 * signature stays valid for 5 minutes, longer than a run) and replayed by the load
 * generator, as autocannon cannot sign. Then, one at a time, Step Functions'
 * StartSyncExecution against Nimbus's own synchronous run of the same one-Task workflow.
 */
import { sdkSigner } from '../../test/helpers/sigv4.ts';
import type { Scenario, ScenarioOutput, Settings } from '../lib/scenario.ts';
import { interleavedLoad } from '../lib/rounds.ts';
import type { Recorder, TargetInfo } from '../lib/results.ts';
import { BENCH_CONFIG, nimbusWith, stopAll } from './common.ts';

const EVENT = JSON.stringify({ order: 42, items: ['a', 'b', 'c'] });
const SOURCE = `export async function handler(event) { return { ok: true, order: event.order }; }
export default { async fetch(request) { const event = await request.json(); return Response.json({ ok: true, order: event.order }); } };
`;
const WORKFLOW = JSON.stringify({ StartAt: 'Call', States: { Call: { Type: 'Task', Resource: 'fn:echo', End: true } } });
/** Sequential StartSyncExecution / run samples per round and target. */
const SYNC_SAMPLES = 20;

const API: TargetInfo = { id: 'nimbus-invoke-api', label: 'Nimbus invoke API', description: 'POST /api/v1/functions/<name>/invoke with the bearer token (Nimbus’s own protocol).' };
const FN: TargetInfo = { id: 'nimbus-fn', label: 'Nimbus /fn', description: 'POST /fn/<name>/: the function’s own URL, no control-plane protocol at all.' };
const RUN: TargetInfo = { id: 'nimbus-run', label: 'Nimbus run', description: 'POST /api/v1/workflows/<name>/run: Nimbus’s own synchronous execution (bearer token).' };
const SYNC: TargetInfo = { id: 'nimbus-sfn-sync', label: 'Nimbus StartSyncExecution', description: 'Step Functions StartSyncExecution, SigV4-signed, for the same workflow.' };
const AWS: TargetInfo = { id: 'nimbus-aws-invoke', label: 'Nimbus AWS Invoke', description: 'POST /2015-03-31/functions/<name>/invocations, SigV4-signed (what @aws-sdk/client-lambda sends).' };

export const awsInvoke: Scenario = {
  id: 'aws-invoke',
  title: 'Lambda Invoke via the AWS endpoint vs the Nimbus invoke API',
  description:
    'The same 40-byte event sent to the same function on one Nimbus: once through its own invoke API (bearer token), once as a SigV4-signed Lambda Invoke. ' +
    'Also through the function’s own URL (/fn). autocannon, 50 connections. The ratio is the cost of SigV4 verification and the Lambda protocol. ' +
    `Then ${SYNC_SAMPLES} sequential executions a round of a one-Task workflow calling the same function: Nimbus’s own synchronous run (POST /api/v1/workflows/<name>/run) against a SigV4-signed StartSyncExecution.`,
  async run(s, rec): Promise<ScenarioOutput> {
    const what = 'all figures';
    const nimbus = await nimbusWith(s, rec, what, { echo: SOURCE });
    try {
      if (!nimbus) return { targets: [], settings: {} };
      const key = JSON.parse((await nimbus.api('POST', '/api/v1/aws-keys', { description: 'bench' })).body) as { accessKeyId: string; secretAccessKey: string };
      const url = new URL(nimbus.baseUrl);
      const path = '/2015-03-31/functions/echo/invocations';
      const signer = sdkSigner(key, 'us-east-1', 'lambda');
      const signed = (await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, 'content-type': 'application/json' }, body: EVENT } as never)) as unknown as {
        headers: Record<string, string>;
      };
      const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
      const targets = [
        { info: API, requests: [{ method: 'POST' as const, path: '/api/v1/functions/echo/invoke', body: EVENT, headers: { authorization: `Bearer ${nimbus.token}`, 'content-type': 'application/json' } }] },
        { info: AWS, requests: [{ method: 'POST' as const, path, body: EVENT, headers }] },
        { info: FN, requests: [{ method: 'POST' as const, path: '/fn/echo/', body: EVENT, headers: { 'content-type': 'application/json' } }] },
      ];
      for (const t of targets) {
        const r = await fetch(nimbus.baseUrl + t.requests[0].path, { method: 'POST', headers: t.requests[0].headers, body: EVENT });
        const text = await r.text();
        if (r.status !== 200 || text !== '{"ok":true,"order":42}') throw new Error(`bench: ${t.info.id} answered ${r.status} ${text.slice(0, 200)}`);
      }
      await interleavedLoad(
        s,
        rec,
        targets.map((t) => ({ ...t, baseUrl: nimbus.baseUrl, memory: () => nimbus.memory(), pid: nimbus.pid })),
        { connections: 50 },
      );
      await syncExecutions(s, rec, nimbus.baseUrl, nimbus.token, key);
      return { targets: [API, AWS, FN, RUN, SYNC], settings: { connections: 50, requestBytes: EVENT.length, syncSamplesPerRound: SYNC_SAMPLES, nimbusConfig: JSON.stringify(BENCH_CONFIG) }, baseline: API.id };
    } finally {
      await stopAll([nimbus]);
    }
  },
};

/** StartSyncExecution against Nimbus's own run, one request at a time, alternating, every round. */
async function syncExecutions(s: Settings, rec: Recorder, baseUrl: string, token: string, key: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  rec.metric({ id: 'sync-execution', label: 'Synchronous execution of a one-Task workflow', unit: 'ms', better: 'lower', kind: 'latency' });
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const put = await fetch(`${baseUrl}/api/v1/workflows/order`, { method: 'PUT', headers: auth, body: JSON.stringify({ definition: WORKFLOW }) });
  if (!put.ok) throw new Error(`bench: deploying the workflow answered ${put.status} ${await put.text()}`);
  const url = new URL(baseUrl);
  const body = JSON.stringify({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:order', input: EVENT });
  const signer = sdkSigner(key, 'us-east-1', 'states');
  const signed = (await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartSyncExecution' },
    body,
  } as never)) as unknown as { headers: Record<string, string> };
  const sfnHeaders = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
  const runBody = JSON.stringify({ input: JSON.parse(EVENT) });
  const calls = [
    { target: RUN, send: () => fetch(`${baseUrl}/api/v1/workflows/order/run`, { method: 'POST', headers: auth, body: runBody }) },
    { target: SYNC, send: () => fetch(`${baseUrl}/`, { method: 'POST', headers: sfnHeaders, body }) },
  ];
  for (let round = 1; round <= s.rounds; round++) {
    for (let i = 0; i < SYNC_SAMPLES; i++) {
      for (const c of calls) {
        const t0 = performance.now();
        const r = await c.send();
        const text = await r.text();
        const ms = performance.now() - t0;
        if (r.status !== 200 || !/SUCCEEDED/.test(text)) throw new Error(`bench: ${c.target.id} answered ${r.status} ${text.slice(0, 300)}`);
        rec.sample('sync-execution', c.target.id, ms);
      }
    }
    s.log(`  round ${round}: ${SYNC_SAMPLES} synchronous executions each`);
  }
}
