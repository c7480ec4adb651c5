/**
 * The `app` runtime: any HTTP server command, one sandboxed process per instance (see
 * app-instance.ts). What the host lets it enforce is probed once (isolation.ts) and
 * reported as it is.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Clock } from '../../core/clock.ts';
import { Deadlines } from '../../core/deadlines.ts';
import { NimbusError } from '../../core/errors.ts';
import type { FunctionConfig, ModuleExports } from '../../core/types.ts';
import type { Instance, InstanceSpec, Runtime } from '../port.ts';
import { appDirName, isAppPack } from './app-archive.ts';
import { UnpackedDirs } from './unpacked-dirs.ts';
import { createAfterTurn } from './after-turn.ts';
import { AppInstance } from './app-instance.ts';
import { probeIsolation, removeCgroupTree, type ProcessIsolation } from './isolation.ts';

export interface AppRuntimeOptions {
  readonly clock: Clock;
  /** Where apps' files are unpacked: not inside the data directory (the sandbox hides that). */
  readonly appsDir: string;
  readonly maxResponseBytes: number;
  readonly isolation?: ProcessIsolation;
  /** --app-host-network: the operator puts apps on the host network (no network namespace). */
  readonly allowHostNetwork?: boolean;
  /** Hears a failure inside the runtime's own callbacks (a deadline's, an answer's hand-over). */
  readonly onError?: (message: string, error: unknown) => void;
}

export interface AppRuntime extends Runtime {
  readonly isolation: ProcessIsolation;
  /** Live instances' process ids (tests, diagnostics). */
  livePids(): number[];
}

/** Without a network namespace apps would share the host network: they run there only where the operator said so (--app-host-network). */
export function refuseWithoutNetworkOptIn(isolation: ProcessIsolation): void {
  if (isolation.network === 'namespace' || isolation.hostNetworkAllowed) return;
  throw new NimbusError(
    'NIMBUS_ERR_VALIDATION',
    'this host cannot give app and node functions a network namespace (bubblewrap with --unshare-net), and on the host network the egress rules of isolates (no loopback, private or metadata addresses) do not apply; the operator allows them there by starting the platform with --app-host-network (docs/apps.md, Network)',
    { extra: { field: 'config.runtime' } },
  );
}

export function createAppRuntime(options: AppRuntimeOptions): AppRuntime {
  const isolation = options.isolation ?? probeIsolation({ allowHostNetwork: options.allowHostNetwork });
  const live = new Set<AppInstance>();
  let PoolClass: typeof import('undici').Pool | null = null;
  const onError = options.onError ?? ((message: string, error: unknown) => console.error(`[nimbus app] ${message}`, error));
  const deadlines = new Deadlines(options.clock, (error) => onError('an app call deadline handler threw', error));
  const afterTurn = createAfterTurn((error) => onError('an app call could not be handed back', error));
  const unpacked = new UnpackedDirs(options.appsDir);
  return {
    kind: 'app',
    isolation,
    async inspect(code: string, config: FunctionConfig): Promise<ModuleExports> {
      refuseWithoutNetworkOptIn(isolation);
      if (!isAppPack(code)) throw new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', 'runtime "app" needs a directory of files (source.app); a bundle cannot run as an app');
      if (!config.app) throw new NimbusError('NIMBUS_ERR_VALIDATION', 'runtime "app" needs app.command (--cmd)', { extra: { field: 'config.app.command' } });
      // An app answers HTTP, and events as a JSON POST to its event path (the instance's handler mode).
      return { fetch: true, handler: true };
    },
    async start(spec: InstanceSpec): Promise<Instance> {
      PoolClass ??= (await import('undici')).Pool;
      const release = unpacked.use(appDirName(createHash('sha256').update(spec.code).digest('hex')));
      let instance: AppInstance;
      try {
        instance = await AppInstance.start({ clock: options.clock, isolation, appsDir: options.appsDir, maxResponseBytes: options.maxResponseBytes, PoolClass, deadlines, afterTurn }, spec);
      } catch (error) {
        release();
        throw error;
      }
      live.add(instance);
      void instance.whenExited().then(() => {
        live.delete(instance);
        release();
      });
      return instance;
    },
    keepCode(codeHashes) {
      unpacked.keep(codeHashes);
    },
    livePids() {
      return [...live].map((i) => i.pid);
    },
    async close() {
      // Pools have drained and disposed their instances (SIGTERM); what is still up after its grace is killed.
      const all = [...live];
      for (const i of all) i.dispose();
      await Promise.all(all.map((i) => i.whenExited()));
      deadlines.close();
      // The platform's cgroup directory goes once the last processes in it (apps', node spares') are gone.
      const cg = isolation.cgroup;
      const dirs = cg === null ? [] : cg.version === 1 ? [...new Set([cg.memory, cg.pids, cg.cpuacct, cg.cpu].filter((d) => d !== null))] : [cg.root];
      for (let tries = 0; tries < 60 && dirs.some((d) => existsSync(d)); tries++) {
        for (const d of dirs) removeCgroupTree(d);
        if (dirs.some((d) => existsSync(d))) await new Promise<void>((resolve) => options.clock.setTimer(50, resolve, true));
      }
    },
  };
}
