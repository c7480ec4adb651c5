/**
 * A Runtime for tests of the parts above it (pool, dispatcher, autoscaler): instances
 * start after a controllable delay and answer with whatever the test scripts.
 */
import { NimbusError } from '../../core/errors.ts';
import type { FunctionConfig, FunctionVersion, ModuleExports } from '../../core/types.ts';
import type { Instance, InstanceCall, InstanceDeath, InstanceResult, InstanceSpec, Runtime } from '../port.ts';

export interface FakeBehaviour {
  /** Resolves when the instance should finish starting; default immediately. */
  startGate?: () => Promise<void>;
  /** Throw to fail the start (init error). */
  onStart?: (spec: InstanceSpec) => void;
  /** Produces each invocation's result; default echoes. */
  onInvoke?: (call: InstanceCall, instance: FakeInstance) => Promise<InstanceResult>;
  exports?: ModuleExports;
  /** What each instance reports as its start time, in ms; default 1. */
  initMs?: number;
}

export class FakeInstance implements Instance {
  readonly initMs: number;
  calls = 0;
  private death: InstanceDeath | null = null;
  constructor(
    readonly id: string,
    readonly spec: InstanceSpec,
    private readonly behaviour: FakeBehaviour,
  ) {
    this.initMs = behaviour.initMs ?? 1;
  }

  async invoke(call: InstanceCall): Promise<InstanceResult> {
    if (this.death) throw new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `instance ${this.id} is ${this.death}`);
    this.calls++;
    if (this.behaviour.onInvoke) return this.behaviour.onInvoke(call, this);
    return call.mode === 'handler'
      ? { mode: 'handler', value: call.event }
      : { mode: 'fetch', response: { status: 200, statusText: 'OK', headers: [], body: new TextEncoder().encode('ok') } };
  }

  /** Dies as an instance does between calls: the runtime tells its owner through onDeath. */
  kill(reason: InstanceDeath): void {
    if (this.death !== null) return;
    this.death = reason;
    this.spec.onDeath?.(reason);
  }

  deathReason(): InstanceDeath | null {
    return this.death;
  }

  stats() {
    return { heapUsedBytes: 1024, cpuMs: 0 };
  }

  dispose(): void {
    this.death ??= 'disposed';
  }
}

export class FakeRuntime implements Runtime {
  readonly kind = 'fake';
  readonly started: FakeInstance[] = [];
  constructor(public behaviour: FakeBehaviour = {}) {}

  async inspect(_code: string, _config: FunctionConfig): Promise<ModuleExports> {
    return this.behaviour.exports ?? { fetch: true, handler: true };
  }

  async start(spec: InstanceSpec): Promise<Instance> {
    await this.behaviour.startGate?.();
    this.behaviour.onStart?.(spec);
    const instance = new FakeInstance(spec.instanceId, spec, this.behaviour);
    this.started.push(instance);
    return instance;
  }

  live(): FakeInstance[] {
    return this.started.filter((i) => i.deathReason() === null);
  }

  async close(): Promise<void> {}
}

/** An InstanceSpec for pools under test: no code, no logs, no network. */
export function fakeInstanceSpec(version: FunctionVersion, instanceId: string): InstanceSpec {
  return {
    instanceId,
    functionName: version.functionName,
    version: version.version,
    code: '',
    config: version.config,
    onLog: () => {},
    fetch: async () => {
      throw new Error('no network in tests');
    },
  };
}
