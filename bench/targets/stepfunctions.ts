/** aws-local-stepfunctions (npm) in its own process, behind bench/targets/stepfunctions-server.mjs. */
import { HOST } from '../lib/guard.ts';
import { childEnv, freePort, memoryOf, start } from '../lib/proc.ts';
import type { TargetInfo } from '../lib/results.ts';
import type { HttpTarget } from './types.ts';

export const SFN: TargetInfo = {
  id: 'aws-local-stepfunctions',
  label: 'aws-local-stepfunctions',
  description:
    'The Amazon States Language interpreter from npm, in one Node process, Task states answered by an in-process handler; ' +
    'no journal, no persistence, no isolation.',
};

const script = new URL('./stepfunctions-server.mjs', import.meta.url).pathname;

export async function startStepFunctions(definitions: Record<string, unknown>): Promise<HttpTarget> {
  const port = await freePort();
  const p = start({ cmd: process.execPath, args: [script], env: childEnv({ PORT: String(port), DEFINITIONS: JSON.stringify(definitions) }) });
  try {
    await p.waitForLine(/ready/, 15000);
    return {
      info: SFN,
      baseUrl: `http://${HOST}:${port}`,
      pid: p.pid,
      startMs: performance.now() - p.spawnedAt,
      fnPath: (name, rest = '') => `/workflows/${name}/run${rest}`,
      memory: () => memoryOf(p.pid),
      stop: () => p.stop(),
    };
  } catch (e) {
    await p.stop();
    throw e;
  }
}
