/** What the API handlers need from the platform; wired in server/. */
import type { Autoscaler } from '../autoscaler/actuator.ts';
import type { Clock } from '../core/clock.ts';
import type { Deployer } from '../deploy/deployer.ts';
import type { BodyPolicy } from '../gateway/body.ts';
import type { Catalog } from '../dispatch/catalog.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { AsyncSystem } from '../dispatch/async/system.ts';
import type { Recorder } from '../observe/recorder.ts';
import type { PoolRegistry } from '../pool/registry.ts';
import type { Releases } from '../releases/releases.ts';
import type { Store } from '../store/ports.ts';
import type { WorkflowEngine } from '../workflow/engine/engine.ts';
import type { LogCollector } from '../observe/log-collector.ts';
import type { Observability } from '../observe/observability.ts';
import type { AwsKeyStore } from './aws/keys.ts';
import type { ClusterInfo } from './cluster.ts';

export interface ApiDeps {
  readonly clock: Clock;
  readonly store: Store;
  readonly catalog: Catalog;
  readonly deployer: Deployer;
  /** Aliases, rollback and secrets; their routes answer 500 without it. */
  readonly releases?: Releases;
  readonly dispatcher: Dispatcher;
  readonly pools: PoolRegistry;
  readonly recorder: Recorder;
  /** Decisions and settings for /functions/{name}/scale; absent when the platform runs without one. */
  readonly autoscaler?: Autoscaler;
  /** Async invocation, triggers, events and dead letters; their routes answer 500 without it. */
  readonly asyncSystem?: AsyncSystem;
  /** Workflows (state machines and executions); their routes answer 500 without it. */
  readonly workflows?: WorkflowEngine;
  /** Function console output as it is written (live log streams). */
  readonly logs: LogCollector;
  /** Metrics, usage, top, alerts; absent with observability off. */
  readonly observability?: Observability;
  /** Access keys of the AWS-compatible endpoint; its routes answer 500 without them. */
  readonly awsKeys?: AwsKeyStore;
  /** The region AWS clients sign for (--aws-region), told with a new key. */
  readonly awsRegion?: string;
  readonly payloadLimitBytes: number;
  /** Deadline and shared budget of request bodies being received. */
  readonly bodies: BodyPolicy;
  /** Base URL clients reach the gateway at, e.g. http://127.0.0.1:8080 */
  readonly publicUrl: () => string;
  /** This node in its cluster (GET /api/v1/cluster). */
  readonly cluster?: ClusterInfo;
  /** The runtimes and what each enforces (GET /api/v1/runtimes). */
  readonly runtimes?: () => readonly unknown[];
}
