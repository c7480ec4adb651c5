/**
 * Which node drives each running execution: a lease per execution (`wf:<id>`, LeaseRepo)
 * taken by the node that starts or adopts it and renewed while it runs. A node that
 * stops renewing (it died) loses its executions at the lease's expiry and another node
 * adopts them from the journal; the journal's fencing by step keeps a late writer out.
 */
import type { LeaseRepo } from '../../store/lease-ports.ts';

export interface OwnershipConfig {
  readonly leases: LeaseRepo;
  /** This node's id. */
  readonly owner: string;
  readonly ttlMs: number;
}

export const executionLease = (id: string): string => `wf:${id}`;

export class ExecutionLeases {
  private readonly held = new Set<string>();

  constructor(private readonly config: OwnershipConfig) {}

  /** Takes (or renews) the lease of one execution; false when another node holds it. */
  async take(id: string, now: number): Promise<boolean> {
    const got = await this.config.leases.acquire(executionLease(id), this.config.owner, now, this.config.ttlMs);
    if (got) this.held.add(id);
    else this.held.delete(id);
    return got;
  }

  /**
   * Renews the leases of the executions still driven here (`driving`) and gives up those
   * that ended; returns the ids whose lease another node holds now (to stop driving them).
   */
  async renew(driving: ReadonlySet<string>, now: number): Promise<string[]> {
    const lost: string[] = [];
    for (const id of [...this.held]) {
      if (!driving.has(id)) {
        this.held.delete(id);
        await this.config.leases.release(executionLease(id), this.config.owner);
      } else if (!(await this.take(id, now))) lost.push(id);
    }
    return lost;
  }

  /** Gives every lease up (a clean stop: other nodes adopt at once). */
  async releaseAll(): Promise<void> {
    for (const id of [...this.held]) await this.config.leases.release(executionLease(id), this.config.owner);
    this.held.clear();
  }
}
