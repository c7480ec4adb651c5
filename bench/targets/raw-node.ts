/** Starts bench/targets/raw-node-server.mjs as its own process. */
import { HOST } from '../lib/guard.ts';
import { portOpen, waitFor } from '../lib/http.ts';
import { childEnv, freePort, memoryOf, start } from '../lib/proc.ts';
import { RAW, RAW_CLUSTER, type HttpTarget } from './types.ts';

const script = new URL('./raw-node-server.mjs', import.meta.url).pathname;

export interface RawOptions {
  readonly cpuIterations?: number;
  /** Also serve hello functions f0…f<many-1>. */
  readonly many?: number;
  /** 'http' (default): up at the first 2xx of GET /fn/hello/; 'port': up once the port accepts (no request sent). */
  readonly readiness?: 'http' | 'port';
  /** >1: that many processes sharing the port through node:cluster. */
  readonly processes?: number;
}

export async function startRaw(opts: RawOptions = {}): Promise<HttpTarget> {
  const port = await freePort();
  const p = start({
    cmd: process.execPath,
    args: [script],
    env: childEnv({ PORT: String(port), CPU_ITERATIONS: String(opts.cpuIterations ?? 0), MANY: String(opts.many ?? 0), WORKERS: String(opts.processes ?? 1) }),
  });
  const baseUrl = `http://${HOST}:${port}`;
  try {
    if ((opts.processes ?? 1) > 1) await Promise.race([p.waitForLine(/ready/, 15000), p.died()]);
    const upAt =
      opts.readiness === 'port'
        ? await Promise.race([portOpen(port, 15000), p.died()])
        : (await Promise.race([waitFor(`${baseUrl}/fn/hello/`, 15000), p.died()])).doneAt;
    return {
      info: (opts.processes ?? 1) > 1 ? { ...RAW_CLUSTER, label: `raw node:http ×${opts.processes} processes (cluster)` } : RAW,
      baseUrl,
      pid: p.pid,
      startMs: upAt - p.spawnedAt,
      fnPath: (name, rest = '') => `/fn/${name}/${rest}`,
      memory: () => memoryOf(p.pid),
      stop: () => p.stop(),
    };
  } catch (e) {
    await p.stop();
    throw e;
  }
}
