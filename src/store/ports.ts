/**
 * The Store port. Async so that a networked implementation (Postgres) fits the same
 * shape; the embedded SQLite one resolves at once. contract.ts is the suite every
 * implementation must pass.
 */
import type { AliasRoute, FunctionAlias, FunctionConfig, FunctionInfo, FunctionVersion, InvocationRecord, InvocationStatus, ModuleExports } from '../core/types.ts';
import type { AlertRepo, UsageRepo } from './observe-ports.ts';
import type { AsyncPolicyRepo, QueueRepo, TopicRepo, TriggerRepo } from './queue-ports.ts';
import type { LeaseRepo } from './lease-ports.ts';
import type { NodeRepo } from './node-ports.ts';
import type { AwsKeyRepo, LambdaFactsRepo } from './aws-ports.ts';
import type { WorkflowRepo } from './workflow-ports.ts';

export type * from './queue-ports.ts';
export type * from './workflow-ports.ts';
export type * from './observe-ports.ts';
export type * from './lease-ports.ts';

export interface DeployInput {
  readonly name: string;
  readonly hash: string;
  readonly codeHash: string;
  readonly code: string;
  /** The bundle's source map (v3 JSON), or null: kept with the version, for errors' stacks. */
  readonly sourceMap: string | null;
  readonly config: FunctionConfig;
  readonly exports: ModuleExports;
  readonly now: number;
  /**
   * The version's secrets, name → value sealed by the platform (releases/secret-box.ts): the
   * store keeps them as given and never sees a plain value. Absent or {}: none.
   */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface DeployOutcome {
  readonly version: FunctionVersion;
  /** false when the deploy matched the current version and nothing was written. */
  readonly created: boolean;
}

/**
 * Scaling settings changed live (`nimbus scale`, PATCH …/scale) without a new version:
 * applied on top of the current version's config. Fields left out keep the version's.
 */
export type ScaleOverride = Partial<Pick<FunctionConfig, 'concurrency' | 'targetConcurrency' | 'minInstances' | 'maxInstances' | 'idleTimeoutMs' | 'scaleDownDelayMs'>>;

export interface FunctionRepo {
  /**
   * Atomically creates the next version and makes it current — unless `hash` equals
   * the current version's, in which case nothing changes. Safe under concurrent deploys.
   * Every deploy (new version or not) clears the scale override: the deployer starts the
   * config from the effective one, so live settings not given again carry into the version.
   */
  deploy(input: DeployInput): Promise<DeployOutcome>;
  get(name: string): Promise<FunctionInfo | null>;
  list(): Promise<FunctionInfo[]>;
  getVersion(name: string, version: number): Promise<FunctionVersion | null>;
  /** Newest first. */
  listVersions(name: string): Promise<FunctionVersion[]>;
  getCode(codeHash: string): Promise<string | null>;
  /** The source map deployed with that version; null when it came without one. */
  getSourceMap(name: string, version: number): Promise<string | null>;
  /** The sealed secrets stored with that version (DeployInput.secrets); {} when none or no such version. */
  getSecrets(name: string, version: number): Promise<Record<string, string>>;
  /** Removes the function, its versions, its aliases, its scale override, and code no other version uses. */
  delete(name: string): Promise<boolean>;
  /** The function's live scale override; null when there is none. */
  getScale(name: string): Promise<ScaleOverride | null>;
  /** Replaces the override (null or {} clears it). false when the function does not exist. */
  setScale(name: string, override: ScaleOverride | null, now: number): Promise<boolean>;
}

/** A function's aliases (releases): names pointing at versions, with traffic weights. */
export interface AliasRepo {
  /** By name. */
  list(functionName: string): Promise<FunctionAlias[]>;
  get(functionName: string, name: string): Promise<FunctionAlias | null>;
  /**
   * Points the alias at `routes` (creating it), in one transaction: the routes it had become
   * its `previous`. Returns null when the function does not exist. The caller checks that
   * the versions exist and the weights sum to 100.
   */
  set(functionName: string, name: string, routes: readonly AliasRoute[], now: number): Promise<FunctionAlias | null>;
  delete(functionName: string, name: string): Promise<boolean>;
}

export interface InvocationQuery {
  readonly functionName?: string;
  readonly status?: InvocationStatus;
  /** Only records with an id sorting before this one (ids sort by time): pagination. */
  readonly before?: string;
  /** Only records started at or after this epoch ms. */
  readonly since?: number;
  readonly limit: number;
}

/**
 * Records handed to InvocationRepo.append, read back by id or all at once. An array of
 * records will do (append takes one); a store with a compact form of its own offers packs
 * (newPack) that callers may gather into instead.
 */
export interface RecordBatch {
  readonly count: number;
  find(id: string): InvocationRecord | undefined;
  /**
   * Without a query, every record in the order added. With one, the records it selects
   * (invocation-query.ts), newest first, at most `limit`: a pack picks them from its compact
   * form and makes records of those alone.
   */
  records(query?: InvocationQuery): InvocationRecord[];
}

/**
 * A batch records are added to until it is appended: the recorder keeps one while records
 * wait to be written and while they are. A store's own pack holds them in its compact form
 * (at ~10k invocations a second, records kept as objects for tens of milliseconds were most
 * of what the garbage collector had to copy and promote); store/record-pack.ts is the plain
 * one, for a store without such a form.
 */
export interface RecordPack extends RecordBatch {
  add(record: InvocationRecord): void;
}

export interface InvocationRepo {
  /**
   * Writes a batch in one transaction; a record whose id exists is ignored unless it is a
   * later attempt (then it replaces the old one). Usage per function-hour is updated in the
   * same transaction by exactly what changed, so usage is the sum of the records written.
   */
  insertMany(records: readonly InvocationRecord[]): Promise<void>;
  /**
   * Writes records whose ids were made for them by core/ids newId (from their start time)
   * and are never written again: no id check, so the store may keep them in batches (both stores:
   * segments, segment-slots.ts). Usage is updated in the same transaction. Reads see them
   * with the others: get, list and prune make no difference between the two. A batch whose
   * append failed may be appended again as it is; the part already committed is not counted twice.
   */
  append(records: RecordBatch | readonly InvocationRecord[]): Promise<void>;
  /**
   * An empty pack in the store's own compact form, which append takes fastest; absent when
   * the store has none (then gather records in an ArrayPack, store/record-pack.ts).
   * `capacity`: about how many records it will take (it grows past that as needed).
   */
  newPack?(capacity?: number): RecordPack;
  get(id: string): Promise<InvocationRecord | null>;
  /** Newest first. */
  list(query: InvocationQuery): Promise<InvocationRecord[]>;
  /** Deletes records started before `olderThan` and all but the newest `keep`; returns how many went. */
  prune(olderThan: number, keep: number): Promise<number>;
}

export interface Store {
  readonly functions: FunctionRepo;
  /** Aliases of functions' versions (deleted with their function). */
  readonly aliases: AliasRepo;
  readonly invocations: InvocationRepo;
  /** Async invocations and their dead letters (queue-ports.ts, queue-contract.ts). */
  readonly queue: QueueRepo;
  readonly triggers: TriggerRepo;
  readonly topics: TopicRepo;
  readonly asyncPolicies: AsyncPolicyRepo;
  /** Usage per function-hour (observe-ports.ts). */
  readonly usage: UsageRepo;
  readonly alerts: AlertRepo;
  /** State machines, executions, their journal and timers (workflow-ports.ts, workflow-contract.ts). */
  readonly workflows: WorkflowRepo;
  /** Work one node owns for a while, taken over when it stops renewing (lease-ports.ts, lease-contract.ts). */
  readonly leases: LeaseRepo;
  /** The nodes of a cluster and their heartbeats (node-ports.ts, node-contract.ts). */
  readonly nodes: NodeRepo;
  /** The AWS layer's access keys and functions' Lambda facts (aws-ports.ts, aws-contract.ts). */
  readonly awsKeys: AwsKeyRepo;
  readonly lambdaFacts: LambdaFactsRepo;
  close(): Promise<void>;
}
