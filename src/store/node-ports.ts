/**
 * The node registry: every node of a cluster writes a heartbeat row (who it is, where it
 * answers, how busy it is) every few seconds; `nimbus cluster status` lists the rows and a
 * node whose row is older than the stale limit counts as gone (its queue items are run
 * again elsewhere). node-contract.ts is the suite every implementation must pass.
 */
export interface NodeInfo {
  /** Stable per data directory (cluster/node-id.ts). */
  readonly id: string;
  /** The URL the node serves on. */
  readonly address: string;
  /** The Nimbus version it runs. */
  readonly version: string;
  readonly startedAt: number;
  /** When it last wrote its heartbeat (its own clock, epoch ms). */
  readonly lastSeen: number;
  /** Invocations in flight or waiting on the node. */
  readonly load: number;
  /** Function instances alive on the node. */
  readonly instances: number;
}

export interface NodeRepo {
  /** Writes (or replaces) the node's row. */
  heartbeat(node: NodeInfo): Promise<void>;
  /** Every node row, by id. */
  list(): Promise<NodeInfo[]>;
  /** Deletes a node's row (it stopped cleanly); false when there was none. */
  remove(id: string): Promise<boolean>;
  /** Deletes rows last seen before `seenBefore`; returns how many. */
  prune(seenBefore: number): Promise<number>;
}
