/** Several runtimes behind one port: each version runs in the runtime its config names. */
import { NimbusError } from '../core/errors.ts';
import type { FunctionConfig, RuntimeKind } from '../core/types.ts';
import type { Runtime } from './port.ts';

export function runtimeByKind(runtimes: Partial<Record<RuntimeKind, Runtime>> & { isolate: Runtime }): Runtime {
  const pick = (config: FunctionConfig): Runtime => {
    const r = runtimes[config.runtime ?? 'isolate'];
    if (!r) throw new NimbusError('NIMBUS_ERR_VALIDATION', `runtime "${config.runtime}" is not available on this platform`, { extra: { field: 'config.runtime' } });
    return r;
  };
  return {
    kind: 'by-kind',
    inspect: (code, config, functionName) => pick(config).inspect(code, config, functionName),
    start: (spec) => pick(spec.config).start(spec),
    keepCode: (codeHashes) => {
      for (const r of Object.values(runtimes)) r.keepCode?.(codeHashes);
    },
    close: async () => {
      await Promise.all(Object.values(runtimes).map((r) => r.close()));
    },
  };
}
