/** The bus, chosen from the config: in-process by default, NATS when `--bus` names servers (the client loads only then). */
import { openLocalBus } from '../bus/local/local-bus.ts';
import type { Bus } from '../bus/port.ts';
import type { Config } from '../config/config.ts';

export async function openConfiguredBus(config: Pick<Config, 'bus'>): Promise<Bus> {
  if (config.bus === '') return openLocalBus();
  return (await import('../bus/nats/nats-bus.ts')).openNatsBus(config.bus);
}

/** What the log says about the bus (URLs without passwords). */
export function busDescription(config: Pick<Config, 'bus'>): string {
  return config.bus === '' ? 'local' : `nats ${config.bus.replace(/:[^:@/,]*@/g, ':***@')}`;
}
