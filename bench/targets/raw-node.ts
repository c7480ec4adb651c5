/** Starts bench/targets/raw-node-server.mjs as its own process. */
import { HOST } from '../lib/guard.ts';
import { portOpen, waitFor } from '../lib/http.ts';
import { childEnv, freePort, memoryOf, start } from '../lib/proc.ts';
import { RAW, type HttpTarget } from './types.ts';

const script = new URL('./raw-node-server.mjs', import.meta.url).pathname;

export interface RawOptions {
  readonly cpuIterations?: number;
  /** Also serve hello functions f0…f<many-1>. */
  readonly many?: number;
  /** 'http' (default): up at the first 2xx of GET /fn/hello/; 'port': up once the port accepts (no request sent). */
  readonly readiness?: 'http' | 'port';
}

export async function startRaw(opts: RawOptions = {}): Promise<HttpTarget> {
  const port = await freePort();
  const p = start({
    cmd: process.execPath,
    args: [script],
    env: childEnv({ PORT: String(port), CPU_ITERATIONS: String(opts.cpuIterations ?? 0), MANY: String(opts.many ?? 0) }),
  });
  const baseUrl = `http://${HOST}:${port}`;
  try {
    const upAt =
      opts.readiness === 'port'
        ? await Promise.race([portOpen(port, 15000), p.died()])
        : (await Promise.race([waitFor(`${baseUrl}/fn/hello/`, 15000), p.died()])).doneAt;
    return {
      info: RAW,
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
