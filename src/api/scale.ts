/**
 * /api/v1/functions/{name}/scale: what the autoscaler sees and decided (GET), and the
 * function's scaling settings changed live, without a new version (PATCH).
 *
 * A PATCH stores a scale override (store: FunctionRepo.setScale) that the catalog puts
 * on top of the config of every version served (the latest and those aliases point at); the live pool takes it at once and is resized
 * right away. The next deploy folds the effective settings into its version and clears
 * the override. Fields equal to the version's own value are dropped from the override;
 * `null` removes a field from it.
 */
import type { ScaleEvent } from '../autoscaler/actuator.ts';
import { DEFAULT_SCALE_DOWN_DELAY_MS, settingsFromConfig } from '../autoscaler/settings.ts';
import { NimbusError } from '../core/errors.ts';
import type { FunctionConfig } from '../core/types.ts';
import type { ScaleOverride } from '../store/ports.ts';
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';
import { assertValid } from './schemas.ts';

export const SCALE_FIELDS = ['targetConcurrency', 'concurrency', 'minInstances', 'maxInstances', 'idleTimeoutMs', 'scaleDownDelayMs'] as const;
type ScaleField = (typeof SCALE_FIELDS)[number];
export type ScalePatch = Partial<Record<ScaleField, number | null>>;

/** The scaling fields of a config; a version deployed without a scale-down delay shows the default it gets. */
const pick = (c: FunctionConfig) =>
  Object.fromEntries(SCALE_FIELDS.map((f) => [f, c[f] ?? DEFAULT_SCALE_DOWN_DELAY_MS])) as Record<ScaleField, number>;

function decisionView(e: ScaleEvent) {
  return {
    at: e.at,
    version: e.version,
    trigger: e.trigger,
    desired: e.desired,
    current: e.current,
    ready: e.ready,
    starting: e.starting,
    mode: e.mode,
    boundBy: e.boundBy,
    limitedBy: e.limitedBy,
    started: e.started,
    retired: e.retired,
    stableConcurrency: round2(e.stableConcurrency),
    panicConcurrency: round2(e.panicConcurrency),
    currentConcurrency: e.currentConcurrency,
    reason: e.reason,
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

async function scaleStatus(deps: ApiDeps, name: string) {
  const deployed = await deps.catalog.resolve(name);
  if (!deployed) throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
  const version = deployed.version;
  const stored = deployed.stored ?? version;
  const pools = deps.pools.all().filter((p) => p.version.functionName === name);
  let ready = 0, starting = 0, draining = 0, inFlight = 0, queued = 0;
  for (const p of pools) {
    const v = p.scaleView();
    ready += v.active;
    starting += v.starting;
    draining += v.draining;
    inFlight += v.inFlight;
    queued += v.queued;
  }
  const scaler = deps.autoscaler;
  const { latest, recent } = scaler ? scaler.decisionsFor(name) : { latest: null, recent: [] };
  const currentPool = deps.pools.peek(version);
  const effective = currentPool && scaler ? scaler.settingsFor(currentPool) : null;
  const usage = scaler?.capacityUsage() ?? null;
  return {
    name,
    version: version.version,
    settings: pick(version.config),
    versionSettings: pick(stored.config),
    override: deployed.scale ?? null,
    maxInstancesEffective: effective?.maxInstances ?? (usage ? Math.min(version.config.maxInstances, usage.maxInstances) : version.config.maxInstances),
    platform: usage,
    current: ready + starting,
    desired: latest && latest.version === version.version ? latest.desired : ready + starting,
    ready,
    starting,
    draining,
    inFlight,
    queued,
    mode: latest && latest.version === version.version ? latest.mode : null,
    latest: latest ? decisionView(latest) : null,
    decisions: recent.map(decisionView),
  };
}

export function scaleRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/functions/{name}/scale',
      operationId: 'getFunctionScale',
      handler: async (req) => ({ status: 200, body: await scaleStatus(deps, req.params.name) }),
    },
    {
      method: 'PATCH',
      path: '/api/v1/functions/{name}/scale',
      operationId: 'updateFunctionScale',
      handler: async (req) => {
        const name = req.params.name;
        const body = assertValid<ScalePatch>('ScaleRequest', await req.json());
        await applyPatch(deps, name, body);
        return { status: 200, body: await scaleStatus(deps, name) };
      },
    },
  ];
}

/**
 * Applies a scale patch (also what Lambda PutFunctionConcurrency maps to), in the function's
 * deploy turn: patches apply one after another, and a deploy that carries the live settings
 * into its new version (and clears them) does not run across one.
 */
export function applyPatch(deps: Pick<ApiDeps, 'catalog' | 'deployer' | 'store' | 'clock' | 'pools'>, name: string, body: ScalePatch): Promise<void> {
  return deps.deployer.inTurn(name, () => patchNow(deps, name, body));
}

async function patchNow(deps: Pick<ApiDeps, 'catalog' | 'store' | 'clock' | 'pools'>, name: string, body: ScalePatch): Promise<void> {
  const deployed = await deps.catalog.resolve(name);
  if (!deployed) throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
  const stored = deployed.stored ?? deployed.version;
  const merged: Record<string, number> = { ...((await deps.store.functions.getScale(name)) ?? {}) };
  for (const f of SCALE_FIELDS) {
    const v = body[f];
    if (v === null) delete merged[f];
    else if (v !== undefined) merged[f] = v;
  }
  // Nonsense is refused naming the field (targetConcurrency above concurrency, min above max…).
  settingsFromConfig({ ...stored.config, ...merged });
  for (const f of SCALE_FIELDS) if (merged[f] === stored.config[f]) delete merged[f];
  const override: ScaleOverride | null = Object.keys(merged).length > 0 ? merged : null;
  if (!(await deps.store.functions.setScale(name, override, deps.clock.now()))) {
    throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
  }
  const next = await deps.catalog.applyScale(name, override);
  if (next) deps.pools.reconfigure(next.version);
  // Every version an alias serves scales by the same settings (each in its own pool).
  for (const version of deps.catalog.servedVersions(name)) {
    if (version === next?.version.version) continue;
    const served = await deps.catalog.resolveVersion(name, version);
    if (served) deps.pools.reconfigure(served.version);
  }
}
