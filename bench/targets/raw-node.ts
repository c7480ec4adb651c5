/** Starts bench/targets/raw-node-server.mjs as its own process. */
import { HOST } from '../lib/guard.ts';
import { waitFor } from '../lib/http.ts';
import { freePort, memoryOf, start } from '../lib/proc.ts';
import { RAW, type HttpTarget } from './types.ts';

const script = new URL('./raw-node-server.mjs', import.meta.url).pathname;

export interface RawOptions {
  readonly cpuIterations?: number;
  /** Also serve hello functions f0…f<many-1>. */
  readonly many?: number;
}

export async function startRaw(opts: RawOptions = {}): Promise<HttpTarget> {
  const port = await freePort();
  const p = start({
    cmd: process.execPath,
    args: [script],
    env: { ...process.env, PORT: String(port), CPU_ITERATIONS: String(opts.cpuIterations ?? 0), MANY: String(opts.many ?? 0) },
  });
  const baseUrl = `http://${HOST}:${port}`;
  try {
    const first = await Promise.race([waitFor(`${baseUrl}/fn/hello/`, 15000), p.died()]);
    return {
      info: RAW,
      baseUrl,
      pid: p.pid,
      startMs: first.doneAt - p.spawnedAt,
      fnPath: (name, rest = '') => `/fn/${name}/${rest}`,
      memory: () => memoryOf(p.pid),
      stop: () => p.stop(),
    };
  } catch (e) {
    await p.stop();
    throw e;
  }
}
