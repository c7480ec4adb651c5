/**
 * The load generator: autocannon as a library, in this process, against one target for a
 * stated duration and connection count. Latency of every 2xx response goes into our own
 * histogram (so rounds can be pooled); anything else is counted and reported, never
 * silently dropped.
 */
import autocannon from 'autocannon';
import { assertLocal } from './guard.ts';
import { Histogram } from './histogram.ts';

export interface LoadRequest {
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

export interface LoadSpec {
  /** Base URL, e.g. http://127.0.0.1:1234 (must be loopback). */
  readonly url: string;
  readonly connections: number;
  readonly durationSec: number;
  /** Cycled through by each connection; one entry for a single-endpoint test. */
  readonly requests: readonly LoadRequest[];
  /** Per-request timeout, seconds (default 10). */
  readonly timeoutSec?: number;
}

export interface LoadResult {
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly elapsedSec: number;
  /** 2xx responses per second of elapsed time. */
  readonly rps: number;
  readonly hist: Histogram;
  readonly statusCodes: Readonly<Record<string, number>>;
}

export function load(spec: LoadSpec): Promise<LoadResult> {
  assertLocal(spec.url);
  const hist = new Histogram();
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationSec,
        timeout: spec.timeoutSec ?? 10,
        pipelining: 1,
        requests: spec.requests.map((r) => ({
          path: r.path,
          method: r.method ?? 'GET',
          ...(r.body !== undefined ? { body: r.body } : {}),
          headers: { ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}), ...r.headers },
        })),
      },
      (err, res) => {
        if (err) return reject(err);
        const statusCodes: Record<string, number> = {};
        for (const [code, v] of Object.entries(res.statusCodeStats ?? {})) statusCodes[code] = v.count;
        const elapsedSec = (res.finish.getTime() - res.start.getTime()) / 1000 || res.duration;
        resolve({
          ok: res['2xx'],
          non2xx: res.non2xx,
          errors: res.errors,
          timeouts: res.timeouts,
          elapsedSec,
          rps: res['2xx'] / elapsedSec,
          hist,
          statusCodes,
        });
      },
    );
    inst.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
      if (statusCode >= 200 && statusCode < 300) hist.recordMs(ms);
    });
  });
}
