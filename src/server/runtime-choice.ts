/** The runtimes the platform runs functions in. Concrete adapters are picked here only. */
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Config } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import { createIsolateRuntime } from '../runtime/isolate/index.ts';
import { createAppRuntime, type AppRuntime } from '../runtime/process/app-runtime.ts';
import { createNodeRuntime, type NodeRuntime } from '../runtime/process/node-runtime.ts';
import type { Runtime } from '../runtime/port.ts';

export function defaultRuntime(clock: Clock, config?: Config): Runtime {
  return createIsolateRuntime({ clock, ...(config ? { maxPayloadBytes: config.payloadLimitBytes } : {}) });
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

/**
 * `<tmp>/nimbus-apps/<data directory's hash>`: each platform on the host unpacks (and
 * removes) its own apps, never another's.
 */
export function defaultAppsDir(dataDir: string): string {
  return join(tmpdir(), 'nimbus-apps', createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16));
}

/** The `node` runtime: functions in pre-started Node processes, under the same launcher as apps. */
export function nodeRuntime(apps: AppRuntime, clock: Clock): NodeRuntime {
  return createNodeRuntime({ clock, isolation: apps.isolation });
}
