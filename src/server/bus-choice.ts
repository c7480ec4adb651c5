/** The bus, chosen from the config: in-process by default, NATS when `--bus` names servers (the client loads only then). */
import { openLocalBus } from '../bus/local/local-bus.ts';
import type { Bus } from '../bus/port.ts';
import type { TopicLog } from '../bus/topic-port.ts';
import type { Config } from '../config/config.ts';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from '../dispatch/async/idempotency.ts';
import { ASYNC_POLICY_LIMITS } from '../dispatch/async/policy.ts';

export async function openConfiguredBus(config: Pick<Config, 'bus'>): Promise<Bus> {
  if (config.bus === '') return openLocalBus();
  return (await import('../bus/nats/nats-bus.ts')).openNatsBus(config.bus);
}

/**
 * Where topic events go: with NATS, a JetStream topic log of the cluster's namespace (events
 * deduplicated for a day, as the queue's idempotency keys are, and kept at most as long as
 * the longest async event age); without, none (the store's queue carries them, as on one node).
 */
export async function openConfiguredTopicLog(config: Pick<Config, 'bus'>, namespace: string): Promise<TopicLog | null> {
  if (config.bus === '') return null;
  return (await import('../bus/nats/jetstream-topic-log.ts')).openJetStreamTopicLog(config.bus, {
    namespace,
    duplicateWindowMs: DEFAULT_IDEMPOTENCY_TTL_MS,
    maxAgeMs: ASYNC_POLICY_LIMITS.maxEventAgeMs.max,
  });
}

/** What the log says about the bus (URLs without passwords). */
export function busDescription(config: Pick<Config, 'bus'>): string {
  return config.bus === '' ? 'local' : `nats ${config.bus.replace(/:[^:@/,]*@/g, ':***@')}`;
}
