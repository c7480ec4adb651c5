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

  constructor(
    readonly maxInstances: number,
    readonly memoryBudgetMb: number,
  ) {}

  tryReserve(memoryMb: number): boolean {
    if (this.instances + 1 > this.maxInstances) return false;
    if (this.memoryMb + memoryMb > this.memoryBudgetMb) return false;
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
