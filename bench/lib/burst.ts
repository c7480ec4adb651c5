/**
 * Fires `count` requests at the same instant, each on its own new connection, and
 * records when each one finished. Bounded by a per-request timeout.
 */
import http from 'node:http';
import { request } from './http.ts';

export interface BurstOutcome {
  /** performance.now() when the requests were fired. */
  readonly firedAt: number;
  /** Milliseconds from firing to each 2xx response, in completion order. */
  readonly okMs: number[];
  /** Non-2xx status codes and error messages, with counts. */
  readonly failures: Record<string, number>;
  /** Milliseconds from firing to the last response of any kind. */
  readonly makespanMs: number;
}

export async function burst(url: string, count: number, timeoutMs = 30000): Promise<BurstOutcome> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const okMs: number[] = [];
  const failures: Record<string, number> = {};
  let last = 0;
  const firedAt = performance.now();
  await Promise.all(
    Array.from({ length: count }, () =>
      request(url, { agent, timeoutMs }).then(
        (r) => {
          const t = r.doneAt - firedAt;
          last = Math.max(last, t);
          if (r.status >= 200 && r.status < 300) okMs.push(t);
          else failures[`HTTP ${r.status}`] = (failures[`HTTP ${r.status}`] ?? 0) + 1;
        },
        (e: Error) => {
          last = Math.max(last, performance.now() - firedAt);
          const k = e.message.slice(0, 80);
          failures[k] = (failures[k] ?? 0) + 1;
        },
      ),
    ),
  );
  agent.destroy();
  return { firedAt, okMs: okMs.sort((a, b) => a - b), failures, makespanMs: last };
}

/** [ms, completed so far] steps for a completions timeline. */
export function completionSteps(okMs: readonly number[]): Array<[number, number]> {
  const pts: Array<[number, number]> = [[0, 0]];
  okMs.forEach((t, i) => pts.push([Math.round(t * 100) / 100, i + 1]));
  return pts;
}
