/**
 * Runs one built WPT module in a runtime and returns what its harness reported. Nimbus:
 * one platform for the whole run, each file deployed as its own function (a fresh instance,
 * as a real deploy), invoked once over HTTP, then deleted. workerd: one process per file
 * (its own isolate and globals), started from the bench's workerd package.
 */
import { request } from '../lib/http.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';
import { startWorkerd } from '../targets/workerd.ts';

/** testharness.js statuses. */
export const PASS = 0;

export interface HarnessReport {
  readonly harness: { readonly status: number; readonly message: string | null };
  readonly tests: ReadonlyArray<{ readonly name: string; readonly status: number; readonly message: string | null }>;
}

export type Outcome =
  | { readonly kind: 'ran'; readonly report: HarnessReport; readonly ms: number }
  | { readonly kind: 'crash' | 'timeout' | 'deploy-failed'; readonly why: string; readonly ms: number };

export interface Runtime {
  readonly name: 'nimbus' | 'workerd';
  /** `module`: an ES module; `classic`: the same as a service-worker script; `commonjs`: as module.exports. */
  run(id: string, code: { module: string; classic: string; commonjs: string }, deadlineMs: number): Promise<Outcome>;
  stop(): Promise<void>;
}

function parse(status: number, body: string, started: number): Outcome {
  const ms = performance.now() - started;
  if (status !== 200) return { kind: 'crash', why: `HTTP ${status}: ${body.slice(0, 400)}`, ms };
  try {
    const report = JSON.parse(body) as HarnessReport;
    if (!Array.isArray(report.tests)) throw new Error('no tests array');
    return { kind: 'ran', report, ms };
  } catch (e) {
    return { kind: 'crash', why: `unreadable answer (${(e as Error).message}): ${body.slice(0, 300)}`, ms };
  }
}

const failure = (e: unknown, started: number): Outcome => {
  const why = (e as Error).message ?? String(e);
  return { kind: /timed out/.test(why) ? 'timeout' : 'crash', why: why.slice(0, 500), ms: performance.now() - started };
};

export async function nimbusRuntime(): Promise<Runtime> {
  const n: NimbusTarget = await startNimbus();
  return {
    name: 'nimbus',
    async run(id, code, deadlineMs) {
      const started = performance.now();
      const name = `wpt-${id}`;
      try {
        // CommonJS: Nimbus runs it sloppy, as WPT's classic scripts expect (an ES module entry is strict)
        const body = { source: { files: { 'index.js': code.commonjs }, entry: 'index.js' }, config: { timeoutMs: deadlineMs, memoryMb: 256 } };
        const d = await n.api('PUT', `/api/v1/functions/${name}`, body);
        if (d.status < 200 || d.status >= 300) return { kind: 'deploy-failed', why: `HTTP ${d.status}: ${d.body.slice(0, 400)}`, ms: performance.now() - started };
        const r = await request(n.baseUrl + n.fnPath(name), { timeoutMs: deadlineMs + 5000 });
        return parse(r.status, r.body, started);
      } catch (e) {
        return failure(e, started);
      } finally {
        await n.api('DELETE', `/api/v1/functions/${name}`).catch(() => undefined);
      }
    },
    stop: () => n.stop(),
  };
}

export async function workerdRuntime(): Promise<Runtime> {
  return {
    name: 'workerd',
    async run(_id, code, deadlineMs) {
      const started = performance.now();
      let w: Awaited<ReturnType<typeof startWorkerd>> | undefined;
      try {
        // Classic script, as WPT runs these files: an ES module would be strict mode.
        w = await startWorkerd({ workers: [{ name: 'wpt', source: code.classic, classic: true }], readiness: 'port' });
        const r = await request(w.baseUrl + '/', { timeoutMs: deadlineMs + 5000 });
        return parse(r.status, r.body, started);
      } catch (e) {
        return failure(e, started);
      } finally {
        await w?.stop().catch(() => undefined);
      }
    },
    stop: async () => undefined,
  };
}
