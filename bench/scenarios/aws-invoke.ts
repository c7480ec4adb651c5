/**
 * Lambda Invoke through the AWS-compatible endpoint against Nimbus's own invoke API, on one
 * platform, same function, same event: the difference is what SigV4 verification and the
 * Lambda protocol cost. The request is signed once (a signature stays valid for 5 minutes,
 * longer than a run) and replayed by the load generator, as autocannon cannot sign.
 */
import { sdkSigner } from '../../test/helpers/sigv4.ts';
import type { Scenario, ScenarioOutput } from '../lib/scenario.ts';
import { interleavedLoad } from '../lib/rounds.ts';
import type { TargetInfo } from '../lib/results.ts';
import { BENCH_CONFIG, nimbusWith, stopAll } from './common.ts';

const EVENT = JSON.stringify({ order: 42, items: ['a', 'b', 'c'] });
const SOURCE = 'export async function handler(event) { return { ok: true, order: event.order }; }\n';

const API: TargetInfo = { id: 'nimbus-invoke-api', label: 'Nimbus invoke API', description: 'POST /api/v1/functions/<name>/invoke with the bearer token (Nimbus’s own protocol).' };
const AWS: TargetInfo = { id: 'nimbus-aws-invoke', label: 'Nimbus AWS Invoke', description: 'POST /2015-03-31/functions/<name>/invocations, SigV4-signed (what @aws-sdk/client-lambda sends).' };

export const awsInvoke: Scenario = {
  id: 'aws-invoke',
  title: 'Lambda Invoke via the AWS endpoint vs the Nimbus invoke API',
  description:
    'The same 40-byte event sent to the same function on one Nimbus: once through its own invoke API (bearer token), once as a SigV4-signed Lambda Invoke. ' +
    'autocannon, 50 connections. The ratio is the cost of SigV4 verification and the Lambda protocol.',
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
      return { targets: [API, AWS], settings: { connections: 50, requestBytes: EVENT.length, nimbusConfig: JSON.stringify(BENCH_CONFIG) }, baseline: API.id };
    } finally {
      await stopAll([nimbus]);
    }
  },
};
