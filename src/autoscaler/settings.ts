/**
 * What the autoscaler needs to know about one function version, validated and frozen.
 * Per-function fields come from FunctionConfig; the algorithm's knobs have platform
 * defaults (SCALING_DEFAULTS) that the platform may override. docs/autoscaling.md
 * explains each field.
 */
import { NimbusError } from '../core/errors.ts';
import type { FunctionConfig } from '../core/types.ts';

export interface ScalingSettings {
  /** Concurrency one instance should carry on average (soft; ≤ concurrencyLimit). */
  readonly targetConcurrency: number;
  /** Hard limit of invocations one instance serves at once (FunctionConfig.concurrency). */
  readonly concurrencyLimit: number;
  /** Instances kept even when idle. */
  readonly minInstances: number;
  /** Instances never exceeded. */
  readonly maxInstances: number;
  /** With no request in flight or queued for this long, the function may go to zero. */
  readonly scaleToZeroAfterMs: number;
  /** A scale down follows the most asked for over this long (0: at once); not scale to zero. */
  readonly scaleDownDelayMs: number;
  /** Averaging window of the stable mode; also how long panic mode lasts after its trigger. */
  readonly stableWindowMs: number;
  /** Averaging window used to detect and serve bursts. */
  readonly panicWindowMs: number;
  /** Panic when the panic-window demand needs ≥ this many times the ready instances. */
  readonly panicThreshold: number;
  /** One decision may grow to at most this factor of the ready instances. */
  readonly maxScaleUpRate: number;
  /** One decision may shrink to no less than ready / this factor. */
  readonly maxScaleDownRate: number;
  /** Fewest instances started when scaling from zero. */
  readonly activationScale: number;
}

/** The algorithm's knobs: platform-wide, not per function. */
export type ScalingKnobs = Pick<
  ScalingSettings,
  'stableWindowMs' | 'panicWindowMs' | 'panicThreshold' | 'maxScaleUpRate' | 'maxScaleDownRate' | 'activationScale'
>;

export const SCALING_DEFAULTS: Readonly<ScalingKnobs> = Object.freeze({
  stableWindowMs: 60_000,
  panicWindowMs: 6_000,
  panicThreshold: 2.0,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  activationScale: 1,
});

/**
 * The scale-down delay when a function sets none. Long enough to span the swing of a steady
 * closed-loop load (fewer instances → longer waits → more measured concurrency → more
 * instances, which takes a few 2 s ticks plus a cold start), short enough that instances a
 * real drop of load no longer needs are retired within half a minute of the stable window.
 */
export const DEFAULT_SCALE_DOWN_DELAY_MS = 30_000;

/** How often the actuator should call decide() when nothing else prompts it. */
export const DEFAULT_TICK_MS = 2_000;

/**
 * Platform-level overrides. `maxTotalInstances` (the platform cap, as in Config) caps every
 * function's maxInstances. The platform Config object can be passed as is.
 */
export interface PlatformScaling extends Partial<ScalingKnobs> {
  readonly maxTotalInstances?: number;
}

/** The user-facing name of each field when settings come from a FunctionConfig. */
const CONFIG_FIELD: Partial<Record<keyof ScalingSettings, string>> = {
  targetConcurrency: 'targetConcurrency',
  concurrencyLimit: 'concurrency',
  minInstances: 'minInstances',
  maxInstances: 'maxInstances',
  scaleToZeroAfterMs: 'idleTimeoutMs',
  scaleDownDelayMs: 'scaleDownDelayMs',
};

export function settingsFromConfig(config: FunctionConfig, platform: PlatformScaling = {}): ScalingSettings {
  const knobs: ScalingKnobs = {
    stableWindowMs: platform.stableWindowMs ?? SCALING_DEFAULTS.stableWindowMs,
    panicWindowMs: platform.panicWindowMs ?? SCALING_DEFAULTS.panicWindowMs,
    panicThreshold: platform.panicThreshold ?? SCALING_DEFAULTS.panicThreshold,
    maxScaleUpRate: platform.maxScaleUpRate ?? SCALING_DEFAULTS.maxScaleUpRate,
    maxScaleDownRate: platform.maxScaleDownRate ?? SCALING_DEFAULTS.maxScaleDownRate,
    activationScale: platform.activationScale ?? SCALING_DEFAULTS.activationScale,
  };
  const cap = platform.maxTotalInstances;
  const maxInstances = cap !== undefined && cap < config.maxInstances ? cap : config.maxInstances;
  return validateSettings(
    {
      targetConcurrency: config.targetConcurrency,
      concurrencyLimit: config.concurrency,
      minInstances: config.minInstances,
      maxInstances,
      scaleToZeroAfterMs: config.idleTimeoutMs,
      scaleDownDelayMs: config.scaleDownDelayMs ?? DEFAULT_SCALE_DOWN_DELAY_MS,
      ...knobs,
    },
    CONFIG_FIELD,
  );
}

/** Fills knobs left out with SCALING_DEFAULTS, then validates. Handy for tests and tools. */
export function makeSettings(
  fields: Pick<ScalingSettings, 'targetConcurrency' | 'concurrencyLimit' | 'minInstances' | 'maxInstances' | 'scaleToZeroAfterMs'> &
    Partial<ScalingKnobs> & Partial<Pick<ScalingSettings, 'scaleDownDelayMs'>>,
): ScalingSettings {
  return validateSettings({ ...SCALING_DEFAULTS, scaleDownDelayMs: DEFAULT_SCALE_DOWN_DELAY_MS, ...fields });
}

/**
 * Throws NIMBUS_ERR_VALIDATION naming the first nonsensical field (extra.field, extra.value);
 * returns a frozen copy otherwise. `names` maps fields to the names the user wrote.
 */
export function validateSettings(
  s: ScalingSettings,
  names: Partial<Record<keyof ScalingSettings, string>> = {},
): ScalingSettings {
  const fail = (field: keyof ScalingSettings, why: string): never => {
    const name = names[field] ?? field;
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `${name} ${JSON.stringify(s[field])} ${why}`, {
      extra: { field: name, value: s[field] },
    });
  };
  const finite = (f: keyof ScalingSettings) => {
    if (typeof s[f] !== 'number' || !Number.isFinite(s[f])) fail(f, 'is not a finite number');
  };
  const wholeAtLeast = (f: keyof ScalingSettings, min: number) => {
    finite(f);
    if (!Number.isInteger(s[f]) || s[f] < min) fail(f, `must be a whole number ≥ ${min}`);
  };
  for (const f of Object.keys(SCALING_DEFAULTS) as (keyof ScalingSettings)[]) finite(f);

  finite('targetConcurrency');
  if (s.targetConcurrency <= 0) fail('targetConcurrency', 'must be above 0 (requests one instance should carry)');
  wholeAtLeast('concurrencyLimit', 1);
  if (s.targetConcurrency > s.concurrencyLimit) {
    fail(
      'targetConcurrency',
      `is above the hard per-instance limit ${names.concurrencyLimit ?? 'concurrencyLimit'}=${s.concurrencyLimit}; ` +
        'lower the target or raise the limit',
    );
  }
  wholeAtLeast('minInstances', 0);
  wholeAtLeast('maxInstances', 1);
  if (s.minInstances > s.maxInstances) {
    fail('minInstances', `is above ${names.maxInstances ?? 'maxInstances'}=${s.maxInstances}; lower it or raise the maximum`);
  }
  finite('scaleToZeroAfterMs');
  if (s.scaleToZeroAfterMs < 0) fail('scaleToZeroAfterMs', 'must be ≥ 0 ms');
  finite('scaleDownDelayMs');
  if (s.scaleDownDelayMs < 0 || s.scaleDownDelayMs > 3_600_000) fail('scaleDownDelayMs', 'must be from 0 ms to 1 h');
  if (s.stableWindowMs < 1000 || s.stableWindowMs > 3_600_000) fail('stableWindowMs', 'must be from 1000 ms to 1 h');
  if (s.panicWindowMs < 100) fail('panicWindowMs', 'must be ≥ 100 ms');
  if (s.panicWindowMs > s.stableWindowMs) {
    fail('panicWindowMs', `must not exceed stableWindowMs=${s.stableWindowMs} (it is the short window)`);
  }
  if (s.panicThreshold < 1) fail('panicThreshold', 'must be ≥ 1 (below 1 the scaler would panic at steady state)');
  if (s.maxScaleUpRate <= 1) fail('maxScaleUpRate', 'must be above 1 (a factor of the ready instances)');
  if (s.maxScaleDownRate <= 1) fail('maxScaleDownRate', 'must be above 1 (ready instances are divided by it)');
  wholeAtLeast('activationScale', 1);
  return Object.freeze({ ...s });
}
