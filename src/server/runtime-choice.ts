/** The runtimes the platform runs functions in. Concrete adapters are picked here only. */
import type { Config } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import { createIsolateRuntime } from '../runtime/isolate/index.ts';
import { defaultAppsDir } from '../runtime/process/app-archive.ts';
import { createAppRuntime, type AppRuntime } from '../runtime/process/app-runtime.ts';
import { createNodeRuntime, type NodeRuntime } from '../runtime/process/node-runtime.ts';
import type { Runtime } from '../runtime/port.ts';

export function defaultRuntime(clock: Clock, config?: Config): Runtime {
  return createIsolateRuntime({ clock, ...(config ? { maxPayloadBytes: config.payloadLimitBytes, reportRejections: config.rejectionLogs } : {}) });
}

/** The `app` runtime: sandboxed processes, with what this host lets it enforce probed now. */
export function appRuntime(config: Config, clock: Clock): AppRuntime {
  return createAppRuntime({
    clock,
    appsDir: config.appsDir === '' ? defaultAppsDir(config.dataDir) : config.appsDir,
    maxResponseBytes: config.payloadLimitBytes,
    allowHostNetwork: config.appHostNetwork,
  });
}

/** The `node` runtime: functions in pre-started Node processes, under the same launcher as apps. */
export function nodeRuntime(apps: AppRuntime, clock: Clock): NodeRuntime {
  return createNodeRuntime({ clock, isolation: apps.isolation });
}
