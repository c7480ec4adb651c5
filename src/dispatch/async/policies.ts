/**
 * Per-function async policies, stored in their own table (not in the function's
 * versioned config: changing retries must not make a new version) and cached here.
 */
import type { AsyncPolicyRepo } from '../../store/queue-ports.ts';
import { DEFAULT_ASYNC_POLICY, validateAsyncPolicy, type AsyncPolicy } from './policy.ts';

export class PolicyBook {
  private readonly cache = new Map<string, AsyncPolicy>();

  constructor(private readonly repo: AsyncPolicyRepo) {}

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

  /** Validates (throws NIMBUS_ERR_VALIDATION naming the field) and stores the policy as given. */
  async put(functionName: string, input: unknown, now: number): Promise<AsyncPolicy> {
    const policy = validateAsyncPolicy(input ?? {});
    await this.repo.put(functionName, (input ?? {}) as Record<string, unknown>, now);
    this.cache.set(functionName, policy);
    return policy;
  }

  async delete(functionName: string): Promise<boolean> {
    this.cache.delete(functionName);
    return this.repo.delete(functionName);
  }
}
