/**
 * The `node` runtime: functions with the same fetch/handler contract as isolates, run in
 * a Node process with all of Node. A few generic processes are started ahead (spares,
 * from the first deploy of a node function on) so that an instance is a spare given the
 * function's bundle (an IPC message and a script evaluation), not a process start. Each
 * runs under the same launcher as apps (sandbox, dies with the platform); its memory
 * limit is applied when it is specialised (its processes move into the instance's cgroup).
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import type { FunctionConfig, ModuleExports } from '../../core/types.ts';
import type { Instance, InstanceSpec, Runtime } from '../port.ts';
import { createInstanceCgroup } from './instance-cgroup.ts';
import type { ProcessIsolation } from './isolation.ts';
import { launchPlan } from './launch.ts';
import { NodeInstance, type SpareProcess } from './node-instance.ts';
import { refuseWithoutNetworkOptIn } from './app-runtime.ts';
import { writeFileSync } from 'node:fs';
import { killGroup, sessionProcesses } from './signal.ts';

const WORKER_DIR = dirname(fileURLToPath(new URL('./node-worker/worker.mjs', import.meta.url)));

export interface NodeRuntimeOptions {
  readonly clock: Clock;
  readonly isolation: ProcessIsolation;
  /** Generic processes kept started ahead (default 2). */
  readonly spares?: number;
}

export interface NodeRuntime extends Runtime {
  /** Starts the spares now (they start on the first deploy otherwise). */
  prewarm(): void;
  livePids(): number[];
}

export function createNodeRuntime(options: NodeRuntimeOptions): NodeRuntime {
  const { clock, isolation } = options;
  const want = options.spares ?? 2;
  const spares: SpareProcess[] = [];
  const live = new Set<NodeInstance>();
  let closed = false;
  let seq = 0;

  const spawnSpare = (): SpareProcess => {
    const plan = launchPlan(isolation, {
      appDir: WORKER_DIR,
      command: 'exec node --no-warnings worker.mjs',
      env: { NODE_CHANNEL_FD: '3', NODE_CHANNEL_SERIALIZATION_MODE: 'advanced' },
      memoryBytes: 8192 * 1024 * 1024,
      cgroupProcs: [],
    });
    const child = spawn(plan.file, plan.args, { cwd: plan.cwd, env: plan.env, detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', () => {});
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `a Node process of the node runtime exited before it was ready (exit code ${code}): ${stderr.trim().split('\n').slice(-5).join('\n')}`)));
    });
    ready.catch(() => {});
    return { child, spawnedAt: clock.monotonic(), ready };
  };

  const refill = () => {
    while (!closed && spares.length < want) spares.push(spawnSpare());
  };

  /** A ready spare if there is one, else the oldest starting one (or a new one). */
  const take = (): SpareProcess => {
    refill();
    const spare = spares.shift()!;
    refill();
    return spare;
  };

  const specialise = async (spec: InstanceSpec): Promise<NodeInstance> => {
    const spare = take();
    await spare.ready;
    const cgroup = isolation.cgroup ? createInstanceCgroup(isolation.cgroup, `${spec.instanceId}-${seq++}`, spec.config.memoryMb * 1024 * 1024) : null;
    if (cgroup) {
      // The spare's processes (launchers and node) join the instance's limits now.
      for (const pid of sessionProcesses(spare.child.pid!)) for (const file of cgroup.procsFiles) {
        try {
          writeFileSync(file, String(pid));
        } catch {
          /* gone */
        }
      }
    }
    const instance = new NodeInstance(clock, spec, spare, cgroup);
    try {
      await instance.load(spec.code, spec.config.env);
    } catch (error) {
      instance.dispose();
      throw error;
    }
    return instance;
  };

  return {
    kind: 'node',
    prewarm: refill,
    async inspect(code: string, config: FunctionConfig, functionName = 'fn'): Promise<ModuleExports> {
      refuseWithoutNetworkOptIn(isolation);
      const instance = await specialise({ instanceId: `inspect-${seq++}`, functionName, version: 0, code, config, onLog: () => {}, fetch: () => Promise.reject(new Error('no fetch at inspect')) });
      instance.dispose();
      if (!instance.exports.fetch && !instance.exports.handler) {
        throw new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', `${functionName} exports neither a default object with fetch(request, env, ctx) nor handler(event, context)`);
      }
      return instance.exports;
    },
    async start(spec: InstanceSpec): Promise<Instance> {
      const instance = await specialise(spec);
      live.add(instance);
      void instance.whenExited().then(() => live.delete(instance));
      return instance;
    },
    livePids: () => [...live].map((i) => i.pid),
    async close() {
      closed = true;
      for (const s of spares.splice(0)) killGroup(s.child.pid!);
      const all = [...live];
      for (const i of all) i.dispose();
      await Promise.all(all.map((i) => i.whenExited()));
    },
  };
}
