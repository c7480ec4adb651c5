/**
 * The composition root: builds every part from the config, wires them, starts the
 * gateway, and knows how to drain and stop. The only place that picks concrete
 * implementations (the store from store-choice.ts, the runtime from runtime-choice.ts).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi } from '../api/index.ts';
import { Releases } from '../releases/releases.ts';
import { loadSecretsKey, SecretBox } from '../releases/secret-box.ts';
import { createAwsEndpoint, isAwsRequest } from '../api/aws/endpoint.ts';
import { AwsKeyStore } from '../api/aws/keys.ts';
import { LambdaMetaStore } from '../api/aws/lambda-meta.ts';
import { bearerGuard } from '../api/auth.ts';
import { Autoscaler } from '../autoscaler/actuator.ts';
import { DEFAULT_TICK_MS } from '../autoscaler/settings.ts';
import type { Config } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import { Deployer } from '../deploy/deployer.ts';
import { Catalog } from '../dispatch/catalog.ts';
import { Dispatcher } from '../dispatch/dispatcher.ts';
import { SourceStacks } from '../dispatch/source-stacks.ts';
import { rejectionLine } from '../runtime/isolate/instance-errors.ts';
import { AsyncSystem } from '../dispatch/async/system.ts';
import { WorkflowEngine } from '../workflow/engine/engine.ts';
import { publishEnv } from '../triggers/events/publish-token.ts';
import { createFunctionRoute } from '../gateway/function-route.ts';
import { createGateway, type Handler } from '../gateway/server.ts';
import { createWebSocketRoute } from '../gateway/websocket.ts';
import { CONSOLE_PREFIX, createConsoleHandler } from '../gateway/console-assets.ts';
import { BodyBudget, type BodyPolicy } from '../gateway/body.ts';
import { Capacity } from '../pool/capacity.ts';
import { PoolRegistry } from '../pool/registry.ts';
import { createGuardedFetch, createOutboundFetch } from '../runtime/egress.ts';
import { createEgressGuard } from '../runtime/egress-guard.ts';
import { lockDataDir } from './data-lock.ts';
import { NimbusError } from '../core/errors.ts';
import { egressPolicy } from '../runtime/egress-policy.ts';
import type { Runtime } from '../runtime/port.ts';
import type { Store } from '../store/ports.ts';
import { openConfiguredStore, storeDescription } from './store-choice.ts';
import { importAwsFiles } from './aws-import.ts';
import { appRuntime, nodeRuntime } from './runtime-choice.ts';
import { runtimeByKind } from '../runtime/by-kind.ts';
import { isolationReport } from '../runtime/process/isolation.ts';
import type { AppRuntime } from '../runtime/process/app-runtime.ts';
import { deployExamples } from './examples.ts';
import { createLogger, type Logger } from './logger.ts';
import { ensureToken, removeUrlFile, writeUrlFile } from './token.ts';
import { buildObservability, metricsHandler, observabilityParts } from './observability.ts';
import { backgroundRecord } from '../observe/background-record.ts';
import { InstanceMeter } from '../observe/instance-meter.ts';
import type { Bus } from '../bus/port.ts';
import type { TopicLog } from '../bus/topic-port.ts';
import { busNamespace, clusterId } from '../cluster/cluster-id.ts';
import { busDescription, openConfiguredBus, openConfiguredTopicLog } from './bus-choice.ts';
import { clusterWiring } from './cluster-wiring.ts';

/** How often the up time of live process instances is charged (instance-meter.ts). */
const INSTANCE_METER_MS = 60_000;

export interface PlatformOptions {
  readonly config: Config;
  readonly clock: Clock;
  /** Makes the runtime; it is given the config for the limits it enforces (the payload limit). */
  readonly runtime: (clock: Clock, config: Config) => Runtime | Promise<Runtime>;
  readonly examplesDir?: string;
  /** The built web console (dist/console); served at /console unless config.console is off. */
  readonly consoleDir?: string;
  readonly logger?: Logger;
}

export interface Platform {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly deployer: Deployer;
  readonly logger: Logger;
  /** Drains in-flight work (bounded by drainTimeoutMs), flushes records, closes everything. */
  stop(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { config, clock } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const token = ensureToken(config.dataDir);
  const unlock = lockDataDir(config.dataDir);
  let store: Store | undefined;
  let bus: Bus | undefined;
  let topicLog: TopicLog | null = null;
  let namespace: string;
  let runtime: Awaited<ReturnType<PlatformOptions['runtime']>>;
  let apps: AppRuntime;
  let secretBox: SecretBox;
  try {
    secretBox = new SecretBox(loadSecretsKey(config.dataDir, config.secretsKey));
    store = await openConfiguredStore(config);
    await importAwsFiles(config.dataDir, store, secretBox, logger);
    bus = await openConfiguredBus(config);
    namespace = busNamespace(await clusterId(store.leases));
    topicLog = await openConfiguredTopicLog(config, namespace);
    apps = appRuntime(config, clock);
    runtime = runtimeByKind({ isolate: await options.runtime(clock, config), app: apps, node: nodeRuntime(apps, clock, config) });
  } catch (error) {
    // A failed start releases what it took: the next start (in this process too) finds the directory free.
    await topicLog?.close();
    await bus?.close();
    await store?.close();
    unlock();
    throw error;
  }
  logger.info({ apps: isolationReport(apps.isolation) }, 'app runtime: what this host enforces on app processes');
  return startOn(options, logger, token, unlock, { store, bus, topicLog, namespace }, runtime, secretBox, apps);
}

/** The rest of a start, once the data directory is ours: on a failure it stops what it started. */
async function startOn(
  options: PlatformOptions,
  logger: Logger,
  token: string,
  unlock: () => void,
  shared: { readonly store: Store; readonly bus: Bus; readonly topicLog: TopicLog | null; readonly namespace: string },
  runtime: Awaited<ReturnType<PlatformOptions['runtime']>>,
  secretBox: SecretBox,
  apps: AppRuntime,
): Promise<Platform> {
  const { config, clock } = options;
  const { bus, topicLog } = shared;
  // Several nodes on one store: changes announced to the others (the store below does it), leases, membership.
  const cluster = clusterWiring({ config, clock, logger, store: shared.store, bus, namespace: shared.namespace });
  const { store, nodeId, cronLease, membership } = cluster;
  const observe = observabilityParts(config, clock, store, logger);
  const { logs, recorder } = observe;
  const catalog = new Catalog(store.functions, { aliases: store.aliases, openSecrets: (fn, sealed) => secretBox.openAll(fn, sealed) });
  // Known once the server listens (below): the outbound fetch lets functions call back to them.
  let url = '';
  let localUrl = '';
  const egress = createEgressGuard({
    policy: egressPolicy(config.egressAllow),
    platformOrigins: () => (url ? [url, localUrl] : []),
    monotonic: () => clock.monotonic(),
  });
  const outboundFetch = createOutboundFetch({ guard: egress, payloadLimitBytes: config.payloadLimitBytes });
  // In a cluster the caps count what the other nodes run too (their scale signals).
  const capacity = new Capacity(config.maxTotalInstances, config.memoryBudgetMb, config.bus === '' ? undefined : cluster.elsewhereTotal);
  // Process instances (apps) are charged for the time they are up, idle included.
  const instanceMeter = new InstanceMeter((r) => recorder.push(r, true), () => newId(clock.now()));
  let meterTimer = clock.setTimer(INSTANCE_METER_MS, function flush() {
    instanceMeter.flush(clock.now());
    meterTimer = clock.setTimer(INSTANCE_METER_MS, flush);
  });
  const autoscaler = new Autoscaler({
    clock,
    capacity,
    ...(config.bus === '' ? {} : { elsewhere: cluster.elsewhereOf }),
    platform: {
      maxTotalInstances: config.maxTotalInstances,
      stableWindowMs: config.scaleStableWindowMs,
      panicWindowMs: config.scalePanicWindowMs,
    },
    onEvent: (e) =>
      logger.debug(
        { fn: e.functionName, version: e.version, desired: e.desired, current: e.current, mode: e.mode, boundBy: e.boundBy, limitedBy: e.limitedBy, trigger: e.trigger },
        e.reason,
      ),
  });
  const pools = new PoolRegistry(
    {
      clock,
      runtime,
      capacity,
      scaler: autoscaler,
      queueLimit: config.queueLimit,
      newInstanceId: () => newId(clock.now()),
      instanceSpec: (version, instanceId) => ({
        instanceId,
        functionName: version.functionName,
        version: version.version,
        code: catalog.codeFor(version),
        // Functions publish events with their outbound fetch: URL and a publish-only token in env.
        // Secrets join the variables in env (a secret wins over a variable of the same name).
        config: { ...version.config, env: { ...version.config.env, ...catalog.secretsFor(version).env, ...publishEnv(token, `${url}/api/v1/events`, version.functionName) } },
        onLog: (invocationId, level, message) => logs.append(invocationId, level, message),
        // An unhandled rejection, in source positions: the invocation's log, or the platform's when no invocation owns it.
        onRejection: async (invocationId, rejection, after) => {
          const line = rejectionLine(rejection, await stacks.frames(version, rejection.stack));
          if (invocationId !== '') logs.append(invocationId, 'error', line);
          else logger.error({ fn: version.functionName, version: version.version, instance: instanceId, after }, `unhandled rejection outside any invocation${after === undefined ? '' : ` (after invocation ${after} answered)`}: ${line}`);
        },
        // CPU of the function's own code outside any invocation is charged to it as a record.
        onBackground: (r) =>
          recorder.push(backgroundRecord(newId(clock.now()), { functionName: version.functionName, version: version.version, memoryMb: version.config.memoryMb, instanceId }, r), true),
        fetch: observe.observer ? observe.observer.wrapFetch(outboundFetch) : outboundFetch,
        connect: egress.connect,
        lookup: egress.lookup,
        resolve: egress.resolve,
        connectWebSocket: (target, protocols) => egress.connectWebSocket(new URL(target), protocols, config.wsMessageLimitBytes),
      }),
      events: {
        instanceStarted: (pool, instance) => {
          const v = pool.version;
          if (v.config.runtime !== 'isolate') {
            instanceMeter.started({ functionName: v.functionName, version: v.version, memoryMb: v.config.memoryMb, instanceId: instance.id }, clock.now() - instance.initMs);
          }
          logger.debug({ fn: v.functionName, version: v.version, instance: instance.id, initMs: instance.initMs }, 'instance started');
        },
        instanceStopped: (pool, instanceId, reason) => {
          instanceMeter.stopped(instanceId, clock.now(), reason);
          logger.debug({ fn: pool.version.functionName, version: pool.version.version, instance: instanceId, reason }, 'instance stopped');
        },
      },
    },
    clock,
    DEFAULT_TICK_MS,
    config.drainTimeoutMs,
  );
  const stacks = new SourceStacks(store.functions);
  const dispatcher = new Dispatcher({ clock, catalog, pools, logs, recorder, observer: observe.observer, stacks, responseLimitBytes: config.payloadLimitBytes });
  const observability = buildObservability(config, observe, { clock, store, pools, logger });
  const deployer = new Deployer({
    clock,
    store,
    runtime,
    catalog,
    pools,
    defaults: { memoryMb: config.defaultMemoryMb, timeoutMs: config.defaultTimeoutMs, idleTimeoutMs: config.defaultIdleTimeoutMs },
    maxCodeBytes: config.apiBodyLimitBytes,
  });

  const asyncSystem = new AsyncSystem({
    owner: nodeId,
    recover: () => membership.start(),
    firesTimers: () => cronLease.held(),
    clock,
    store,
    catalog,
    invoke: (req) => dispatcher.invoke(req),
    inFlight: (name) => pools.loadOf(name),
    publishSecret: token,
    // Triggers that target a workflow start an execution, named so that a redelivery repeats nothing.
    startWorkflow: async (r) => {
      const { execution, created } = await workflows.start(r.workflow, r.input, {
        name: r.name,
        source: r.source,
        ...(r.traceparent === undefined ? {} : { traceparent: r.traceparent }),
      });
      return { executionId: execution.id, created };
    },
    onError: (error, what) => logger.error({ err: error }, what),
    recordCommitted: (record) => recorder.committedByItsCaller(record),
    // With NATS, topic events travel on JetStream; a delivery stays a node's for the lease time.
    ...(topicLog ? { topicLog: { log: topicLog, ackWaitMs: config.leaseMs } } : {}),
  });
  const workflows = new WorkflowEngine({
    clock,
    repo: store.workflows,
    invoke: (req) => dispatcher.invoke(req),
    fetch: createGuardedFetch(egress),
    onError: (error, what) => logger.error({ err: error }, what),
    executionRetentionMs: config.executionRetentionMs,
    ownership: { leases: store.leases, owner: nodeId, ttlMs: config.leaseMs },
  });
  const bodies: BodyPolicy = { clock, timeoutMs: config.bodyTimeoutMs, budget: new BodyBudget(config.bodyBudgetBytes) };
  const awsKeys = new AwsKeyStore(store.awsKeys, secretBox, clock);
  const apiDeps = {
    clock,
    store,
    catalog,
    deployer,
    releases: new Releases({ clock, store, catalog, pools, deployer, box: secretBox }),
    dispatcher,
    pools,
    recorder,
    autoscaler,
    asyncSystem,
    workflows,
    logs,
    observability,
    awsKeys,
    awsRegion: config.awsRegion,
    payloadLimitBytes: config.payloadLimitBytes,
    bodies,
    publicUrl: () => url,
    runtimes: () => [
      { kind: 'isolate', description: 'JavaScript/TypeScript modules in V8 isolates inside the gateway process' },
      { kind: 'node', description: 'the same modules in Node processes with all of Node, from pre-started generic processes', isolation: isolationReport(apps.isolation) },
      { kind: 'app', description: 'any HTTP server command, one sandboxed process per instance', isolation: isolationReport(apps.isolation) },
    ],
    cluster: cluster.info,
  };
  const api = createApi(apiDeps, {
    token,
    apiBodyLimitBytes: config.apiBodyLimitBytes,
    onError: (error, req) => logger.error({ err: error, url: req.url, method: req.method }, 'API request failed'),
  });
  const awsEndpoint = createAwsEndpoint({
    ctx: { api: apiDeps, meta: new LambdaMetaStore(store.lambdaFacts), accountId: config.awsAccountId, region: config.awsRegion, codeLimitBytes: config.apiBodyLimitBytes, payloadLimitBytes: config.payloadLimitBytes, processIsolation: apps.isolation },
    keys: awsKeys,
    // a zip travels base64 inside JSON: room for a code-limit-sized archive, and for an invoke payload
    bodyLimitBytes: Math.max(Math.ceil(config.apiBodyLimitBytes * 1.4) + 4096, config.payloadLimitBytes),
    onError: (error, what) => logger.error({ err: error }, what),
  });
  const sockets = createWebSocketRoute({
    dispatcher,
    clock,
    payloadLimitBytes: config.payloadLimitBytes,
    defaultHost: `${config.host}:${config.port}`,
    maxMessageBytes: config.wsMessageLimitBytes,
    idleTimeoutMs: config.wsIdleTimeoutMs,
  });
  const server = createGateway({
    upgrade: sockets.handle,
    functions: createFunctionRoute({ dispatcher, payloadLimitBytes: config.payloadLimitBytes, bodies, defaultHost: `${config.host}:${config.port}` }),
    api,
    aws: { claims: isAwsRequest, handler: awsEndpoint },
    extra: [
      { prefix: '/metrics', handler: metricsHandler(observability, config.metricsPublic ? null : bearerGuard(token)) },
      ...(config.console && options.consoleDir ? [{ prefix: CONSOLE_PREFIX, handler: createConsoleHandler(options.consoleDir) satisfies Handler }] : []),
    ],
    onError: (error, req) => logger.error({ err: error, url: req.url, method: req.method }, 'request failed'),
  }, { headersTimeoutMs: config.headersTimeoutMs });
  /** Drains and closes everything; also what a start that fails part-way runs (with no drain). */
  const shutdown = async (drainMs: number) => {
    try {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      sockets.closeAll(1001, 'the platform is shutting down');
      server.closeIdleConnections();
      const asyncDrained = asyncSystem.stop(drainMs);
      const workflowsDrained = workflows.close(drainMs);
      const leasesGiven = cronLease.stop().catch((e: unknown) => logger.error({ err: e }, 'releasing the cron lease'));
      dispatcher.stopAccepting();
      await pools.closeAll(drainMs);
      meterTimer.cancel();
      await asyncDrained;
      await workflowsDrained;
      await leasesGiven;
      await membership.stop().catch((e: unknown) => logger.error({ err: e }, 'leaving the cluster'));
      server.closeAllConnections();
      await closed;
      observability?.stop();
      await recorder.stop();
      observe.ledger?.close();
      cluster.disconnect();
      await topicLog?.close().catch((e: unknown) => logger.error({ err: e }, 'closing the topic log'));
      await bus.close().catch((e: unknown) => logger.error({ err: e }, 'closing the bus'));
      await runtime.close();
      await store.close();
      removeUrlFile(config.dataDir, localUrl);
    } finally {
      unlock();
    }
  };

  cluster.connect({
    pools,
    capacity,
    logs,
    reloadTimers: () => asyncSystem.cron.reload(),
    wakeConsumer: () => asyncSystem.consumer.wake(),
    onChange: {
      function: async (name) => {
        // another node changed it: drop what is cached, serve what the store says now
        catalog.forget(name);
        asyncSystem.policies.forget(name);
        const deployed = await catalog.resolve(name);
        if (!deployed) {
          await pools.removeFunction(name);
          return deployer.keepStoredCode();
        }
        pools.retireOtherVersions(name, catalog.servedVersions(name));
        for (const version of catalog.servedVersions(name)) {
          const served = await catalog.resolveVersion(name, version);
          if (served) pools.reconfigure(served.version);
        }
      },
      triggers: () => asyncSystem.reloadTriggers(),
      workflow: () => asyncSystem.reloadTriggers(),
    },
  });

  let port: number;
  try {
    server.listen(config.port, config.host);
    await listening(server, config);
    port = (server.address() as AddressInfo).port;
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info({ url, dataDir: config.dataDir, store: storeDescription(config), bus: busDescription(config), node: nodeId }, 'nimbus listening');
    // for a local CLI: a wildcard address is reached through loopback
    localUrl = config.host === '0.0.0.0' ? `http://127.0.0.1:${port}` : config.host === '::' ? `http://[::1]:${port}` : url;
    cluster.listening(url, port);
    writeUrlFile(config.dataDir, localUrl);
    await observability?.start();
    await cronLease.start();
    const recovered = await asyncSystem.start();
    if (recovered > 0) logger.info({ recovered }, 'async invocations left running by the previous process are queued again');
    const resumed = await workflows.recover();
    if (resumed > 0) logger.info({ resumed }, 'workflow executions left running by the previous process resume');
    // apps unpacked for versions deleted while the platform was down go now
    await deployer.keepStoredCode().catch((e: unknown) => logger.warn({ err: e }, 'removing unpacked apps the store no longer has'));
    if (config.deployExamples && options.examplesDir) {
      await deployExamples(deployer, options.examplesDir, logger);
    }
  } catch (error) {
    await shutdown(0).catch((e: unknown) => logger.error({ err: e }, 'stopping after a failed start'));
    throw error;
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    token,
    deployer,
    logger,
    stop() {
      stopping ??= (async () => {
        logger.info({ drainTimeoutMs: config.drainTimeoutMs }, 'draining');
        await shutdown(config.drainTimeoutMs);
        logger.info('stopped');
        logger.flush();
      })();
      return stopping;
    },
  };
}

/** Waits for the server to listen; an address it cannot have is a NimbusError saying what to change. */
async function listening(server: Server, config: Config): Promise<void> {
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const at = `port ${config.port} on ${config.host}`;
    const why: Record<string, string> = {
      EADDRINUSE: `${at} is in use (another Nimbus, or another server); pass --port or NIMBUS_PORT`,
      EACCES: `${at} needs privileges this process does not have; pass a port above 1023 with --port or NIMBUS_PORT`,
      EADDRNOTAVAIL: `${config.host} is not an address of this machine; pass --host (NIMBUS_HOST) with one of its addresses, 127.0.0.1 or 0.0.0.0`,
    };
    if (code !== undefined && why[code] !== undefined) throw new NimbusError('NIMBUS_ERR_ADDRESS_IN_USE', why[code]);
    throw error;
  }
}
