/** The runtime the platform runs functions in. Concrete adapters are picked here only. */
import type { Config } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import { createIsolateRuntime } from '../runtime/isolate/index.ts';
import type { Runtime } from '../runtime/port.ts';

export function defaultRuntime(clock: Clock, config?: Config): Runtime {
  return createIsolateRuntime({ clock, ...(config ? { maxPayloadBytes: config.payloadLimitBytes } : {}) });
}
