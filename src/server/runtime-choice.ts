/** The runtimes the platform runs functions in. Concrete adapters are picked here only. */
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import { createIsolateRuntime } from '../runtime/isolate/index.ts';
import { defaultAppsDir } from '../runtime/process/app-archive.ts';
import { createAppRuntime, type AppRuntime } from '../runtime/process/app-runtime.ts';
import { createNodeRuntime, DEFAULT_MAX_MESSAGE_BYTES, NODE_PACKAGES_DIR, type NodeRuntime } from '../runtime/process/node-runtime.ts';
import type { Runtime } from '../runtime/port.ts';


export function defaultRuntime(clock: Clock, config?: Config): Runtime {
  return createIsolateRuntime({ clock, ...(config ? { maxPayloadBytes: config.payloadLimitBytes, reportRejections: config.rejectionLogs } : {}) });
}

function appsDir(config: Config): string {
  return config.appsDir === '' ? defaultAppsDir(config.dataDir) : config.appsDir;
}

/** The `app` runtime: sandboxed processes, with what this host lets it enforce probed now. */
export function appRuntime(config: Config, clock: Clock): AppRuntime {
  return createAppRuntime({
    clock,
    appsDir: appsDir(config),
    maxResponseBytes: config.payloadLimitBytes,
    allowHostNetwork: config.appHostNetwork,
  });
}

/** The `node` runtime: functions in pre-started Node processes, under the same launcher as apps; packages they ship as files are unpacked beside the apps. */
export function nodeRuntime(apps: AppRuntime, clock: Clock, config: Config): NodeRuntime {
  // a process's message carries at most a payload (an answer, a fetch) or a WebSocket message, with room for its head
  const maxMessageBytes = Math.max(DEFAULT_MAX_MESSAGE_BYTES, 2 * Math.max(config.payloadLimitBytes, config.wsMessageLimitBytes) + 1024 * 1024);
  return createNodeRuntime({ clock, isolation: apps.isolation, packagesDir: join(appsDir(config), NODE_PACKAGES_DIR), maxMessageBytes });
}
