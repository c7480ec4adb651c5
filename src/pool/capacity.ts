/**
 * Platform-wide caps shared by every pool: total live instances and the sum of their
 * memory limits. A pool reserves before it starts an instance and releases when it
 * is gone, so the caps hold however many functions compete.
 */
export interface CapacityUsage {
  readonly instances: number;
  readonly memoryMb: number;
  readonly maxInstances: number;
  readonly memoryBudgetMb: number;
}

export class Capacity {
  private instances = 0;
  private memoryMb = 0;

  /**
   * `elsewhere`: what the other nodes of a cluster use (their scale signals), counted
   * against the caps too, so that they hold across the cluster (docs/cluster.md).
   */
  constructor(
    readonly maxInstances: number,
    readonly memoryBudgetMb: number,
    private readonly elsewhere?: () => { readonly instances: number; readonly memoryMb: number },
  ) {}

  /** Which cap a new instance of `memoryMb` would break, or null when it fits. */
  full(memoryMb: number): 'platform-instances' | 'memory-budget' | null {
    const other = this.elsewhere?.() ?? { instances: 0, memoryMb: 0 };
    if (this.instances + other.instances + 1 > this.maxInstances) return 'platform-instances';
    if (this.memoryMb + other.memoryMb + memoryMb > this.memoryBudgetMb) return 'memory-budget';
    return null;
  }

  /** How many more instances of `memoryMb` the caps allow. */
  room(memoryMb: number): number {
    const other = this.elsewhere?.() ?? { instances: 0, memoryMb: 0 };
    const byCount = this.maxInstances - this.instances - other.instances;
    const byMemory = Math.floor((this.memoryBudgetMb - this.memoryMb - other.memoryMb) / Math.max(1, memoryMb));
    return Math.max(0, Math.min(byCount, byMemory));
  }

  tryReserve(memoryMb: number): boolean {
    if (this.full(memoryMb) !== null) return false;
    this.instances++;
    this.memoryMb += memoryMb;
    return true;
  }

  release(memoryMb: number): void {
    this.instances = Math.max(0, this.instances - 1);
    this.memoryMb = Math.max(0, this.memoryMb - memoryMb);
  }

  usage(): CapacityUsage {
    return {
      instances: this.instances,
      memoryMb: this.memoryMb,
      maxInstances: this.maxInstances,
      memoryBudgetMb: this.memoryBudgetMb,
    };
  }
}
