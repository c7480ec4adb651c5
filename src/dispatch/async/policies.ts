/**
 * Per-function async policies, stored in their own table (not in the function's
 * versioned config: changing retries must not make a new version) and cached here.
 */
import { NimbusError } from '../../core/errors.ts';
import type { AsyncPolicyRepo } from '../../store/queue-ports.ts';
import { DEFAULT_ASYNC_POLICY, validateAsyncPolicy, type AsyncPolicy } from './policy.ts';

export class PolicyBook {
  private readonly cache = new Map<string, AsyncPolicy>();

  /** `topicExists` checks topic destinations when a policy is set; without it they are not checked. */
  constructor(
    private readonly repo: AsyncPolicyRepo,
    private readonly topicExists?: (name: string) => Promise<boolean>,
  ) {}

  /**
   * Validates a policy as put() would, without storing it: NIMBUS_ERR_VALIDATION naming the
   * field, also for a topic destination that does not exist (its events would have nowhere
   * to go) and for a function destination that is `functionName` itself (each outcome would
   * invoke it again, and so on without end). `comingTopics` are created by the same request
   * (declared subscriptions).
   */
  async check(input: unknown, field = 'async', comingTopics: ReadonlySet<string> = new Set(), functionName?: string): Promise<AsyncPolicy> {
    const policy = validateAsyncPolicy(input ?? {}, field);
    const prefix = field === '' ? '' : field + '.';
    for (const [key, d] of [['onSuccess', policy.onSuccess], ['onFailure', policy.onFailure]] as const) {
      if (d?.kind === 'function' && d.name === functionName) {
        throw new NimbusError(
          'NIMBUS_ERR_VALIDATION',
          `${prefix}${key}: function "${d.name}" cannot be its own destination: each outcome would invoke it again, without end; send it to another function, a topic or a webhook`,
          { extra: { field: `${prefix}${key}.name`, value: d.name } },
        );
      }
      if (d?.kind !== 'topic' || !this.topicExists || comingTopics.has(d.name) || (await this.topicExists(d.name))) continue;
      throw new NimbusError(
        'NIMBUS_ERR_VALIDATION',
        `${prefix}${key}: topic "${d.name}" does not exist, so its events would have nowhere to go; create it first with \`nimbus topics create ${d.name}\``,
        { extra: { field: `${prefix}${key}.name`, value: d.name } },
      );
    }
    return policy;
  }

  async get(functionName: string): Promise<AsyncPolicy> {
    const hit = this.cache.get(functionName);
    if (hit) return hit;
    const row = await this.repo.get(functionName);
    let policy = DEFAULT_ASYNC_POLICY;
    if (row) {
      try {
        policy = validateAsyncPolicy(row.policy);
      } catch {
        policy = DEFAULT_ASYNC_POLICY; // a stored policy the current rules reject: fall back, never stall the queue
      }
    }
    this.cache.set(functionName, policy);
    return policy;
  }

  /** Validates as check() (throws NIMBUS_ERR_VALIDATION naming the field) and stores the policy as given. */
  async put(functionName: string, input: unknown, now: number): Promise<AsyncPolicy> {
    const policy = await this.check(input, 'async', new Set(), functionName);
    await this.repo.put(functionName, (input ?? {}) as Record<string, unknown>, now);
    this.cache.set(functionName, policy);
    return policy;
  }

  /** Drops the cached policy (another node changed it): the next get reads the store. */
  forget(functionName: string): void {
    this.cache.delete(functionName);
  }

  async delete(functionName: string): Promise<boolean> {
    this.cache.delete(functionName);
    return this.repo.delete(functionName);
  }
}
