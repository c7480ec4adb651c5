/**
 * This node's place in the cluster: it writes its heartbeat (NodeRepo) every intervalMs
 * and, after each, re-queues the running queue items of nodes that stopped heartbeating
 * (their consumer died: the items run again here or elsewhere, fenced by attempt). On
 * start it re-queues its own earlier incarnation's items too (same id, data directory
 * kept), since nothing of it is running any more. A stop removes the row.
 */
import type { Clock } from '../core/clock.ts';
import { repeatEvery, type Periodic } from '../core/periodic.ts';
import type { NodeInfo, NodeRepo } from '../store/node-ports.ts';
import type { QueueRepo } from '../store/queue-ports.ts';
import { aliveNodeIds } from './liveness.ts';

export interface MembershipDeps {
  readonly clock: Clock;
  readonly nodes: NodeRepo;
  readonly queue: QueueRepo;
  readonly nodeId: string;
  /** What the heartbeat says about this node now. */
  readonly describe: () => Omit<NodeInfo, 'id' | 'lastSeen' | 'startedAt'>;
  readonly intervalMs: number;
  readonly staleAfterMs: number;
  /** Items were re-queued (wake the consumer). */
  readonly onRecovered: (count: number) => void;
  readonly onError?: (error: unknown, what: string) => void;
}

export class Membership {
  private periodic: Periodic | null = null;
  private startedAt = 0;

  constructor(private readonly deps: MembershipDeps) {}

  /** Heartbeats once and re-queues what dead nodes and this node's previous run left running; returns how many. */
  async start(): Promise<number> {
    this.startedAt = this.deps.clock.now();
    await this.heartbeat();
    const recovered = await this.recover(false);
    this.periodic = repeatEvery(
      this.deps.clock,
      this.deps.intervalMs,
      async () => {
        if (this.periodic === null) return; // the first beat was above
        await this.heartbeat();
        const n = await this.recover(true);
        if (n > 0) this.deps.onRecovered(n);
      },
      (e) => this.deps.onError?.(e, 'cluster heartbeat'),
    );
    return recovered;
  }

  /** Writes this node's row now. */
  async heartbeat(): Promise<void> {
    const { clock, nodes, nodeId } = this.deps;
    await nodes.heartbeat({ ...this.deps.describe(), id: nodeId, startedAt: this.startedAt, lastSeen: clock.now() });
  }

  /** Re-queues items of nodes not alive (this one counted alive only when `selfAlive`). */
  private async recover(selfAlive: boolean): Promise<number> {
    const { clock, nodes, queue, nodeId, staleAfterMs } = this.deps;
    const now = clock.now();
    const alive = aliveNodeIds(await nodes.list(), now, staleAfterMs).filter((id) => selfAlive || id !== nodeId);
    return queue.recover(now, alive);
  }

  /** Stops heartbeating and removes the row (a clean stop is not a death). */
  async stop(): Promise<void> {
    this.periodic?.stop();
    this.periodic = null;
    await this.deps.nodes.remove(this.deps.nodeId);
  }
}
