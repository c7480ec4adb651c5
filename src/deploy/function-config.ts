/**
 * A function's settings: defaults, validation with errors that name the field, and the
 * merge rule for redeploys (unspecified fields keep the previous version's values, as
 * Lambda's update-function-code does).
 */
import { NimbusError } from '../core/errors.ts';
import { MEMORY_MB, type AppSettings, type FunctionConfig, type RuntimeKind } from '../core/types.ts';

export interface PlatformDefaults {
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
}

export const DEFAULT_CONCURRENCY = 10;
export const DEFAULT_MAX_INSTANCES = 100;
const ENV_LIMIT_BYTES = 4096;

export const FUNCTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function validateName(name: unknown): string {
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
    throw new NimbusError(
      'NIMBUS_ERR_VALIDATION',
      `function name ${JSON.stringify(name)} is invalid: use 1-64 letters, digits, "-" or "_", starting with a letter or digit`,
      { extra: { field: 'name' } },
    );
  }
  return name;
}

function bad(field: string, value: unknown, why: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `${field} ${JSON.stringify(value)} ${why}`, { extra: { field, value } });
}

function int(input: Record<string, unknown>, field: keyof FunctionConfig, min: number, max: number): number | undefined {
  const v = input[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(field, v, `must be a whole number from ${min} to ${max}`);
  return v;
}

const KNOWN = new Set<string>([
  'memoryMb', 'timeoutMs', 'cpuLimitMs', 'env', 'concurrency', 'targetConcurrency', 'minInstances', 'maxInstances', 'idleTimeoutMs', 'scaleDownDelayMs', 'runtime', 'app',
]);

/** Validates what a deploy asked for and fills the rest from the previous version or the defaults. */
export function resolveConfig(input: unknown, previous: FunctionConfig | null, defaults: PlatformDefaults): FunctionConfig {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw bad('config', input, 'must be an object');
  const given = input as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!KNOWN.has(key)) throw bad(`config.${key}`, given[key], `is not a setting; known: ${[...KNOWN].join(', ')}`);
  }
  if (given.runtime !== undefined && given.runtime !== 'isolate' && given.runtime !== 'node' && given.runtime !== 'app') {
    throw bad('runtime', given.runtime, 'is not supported; use "isolate", "node" or "app"');
  }
  const runtime: RuntimeKind = (given.runtime as RuntimeKind | undefined) ?? previous?.runtime ?? 'isolate';
  const app = runtime === 'app' ? resolveApp(given.app, previous?.app) : undefined;
  if (runtime !== 'app' && given.app !== undefined) throw bad('app', given.app, 'is only for runtime "app"');

  const memoryMb = int(given, 'memoryMb', MEMORY_MB.min, MEMORY_MB.max) ?? previous?.memoryMb ?? defaults.memoryMb;
  const timeoutMs = int(given, 'timeoutMs', 1, 900_000) ?? previous?.timeoutMs ?? defaults.timeoutMs;
  // CPU time follows the timeout unless set: a changed timeout should not leave an old CPU cap behind.
  const cpuGiven = int(given, 'cpuLimitMs', 1, 900_000);
  const cpuLimitMs = cpuGiven ?? (given.timeoutMs === undefined ? (previous?.cpuLimitMs ?? timeoutMs) : timeoutMs);
  const concurrency = int(given, 'concurrency', 1, 1000) ?? previous?.concurrency ?? DEFAULT_CONCURRENCY;
  const targetGiven = int(given, 'targetConcurrency', 1, 1000);
  const targetConcurrency =
    targetGiven ??
    (given.concurrency === undefined && previous ? previous.targetConcurrency : Math.max(1, Math.ceil(concurrency * 0.7)));
  const maxInstances = int(given, 'maxInstances', 1, 10_000) ?? previous?.maxInstances ?? DEFAULT_MAX_INSTANCES;
  const minInstances = int(given, 'minInstances', 0, 10_000) ?? previous?.minInstances ?? 0;
  const idleTimeoutMs = int(given, 'idleTimeoutMs', 0, 86_400_000) ?? previous?.idleTimeoutMs ?? defaults.idleTimeoutMs;
  // Kept out of the config unless set, here or before: versions that never set it keep the
  // hash they had, and the autoscaler gives them its default.
  const scaleDownDelayMs = int(given, 'scaleDownDelayMs', 0, 3_600_000) ?? previous?.scaleDownDelayMs;
  const env = given.env === undefined ? (previous?.env ?? {}) : validateEnv(given.env);
  if (runtime === 'app') for (const k of ['PORT', 'HOST']) if (k in env) throw bad(`env.${k}`, k, reservedVariable(k, runtime) as string);

  if (cpuLimitMs > timeoutMs) throw bad('cpuLimitMs', cpuLimitMs, `cannot exceed timeoutMs (${timeoutMs})`);
  if (targetConcurrency > concurrency) throw bad('targetConcurrency', targetConcurrency, `cannot exceed concurrency (${concurrency})`);
  if (minInstances > maxInstances) throw bad('minInstances', minInstances, `cannot exceed maxInstances (${maxInstances})`);

  return Object.freeze({
    memoryMb,
    timeoutMs,
    cpuLimitMs,
    env: Object.freeze({ ...env }),
    concurrency,
    targetConcurrency,
    minInstances,
    maxInstances,
    idleTimeoutMs,
    ...(scaleDownDelayMs === undefined ? {} : { scaleDownDelayMs }),
    runtime,
    ...(app === undefined ? {} : { app }),
  });
}

export const APP_DEFAULTS = { eventPath: '/', startTimeoutMs: 10_000, graceMs: 5_000 } as const;
const APP_KNOWN = new Set(['command', 'readinessPath', 'eventPath', 'startTimeoutMs', 'graceMs']);

/** An app's start settings: what was given over the previous version's, over the defaults. */
function resolveApp(input: unknown, previous: AppSettings | undefined): AppSettings {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) throw bad('app', input, 'must be an object with a "command"');
  const given = (input ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!APP_KNOWN.has(key)) throw bad(`app.${key}`, given[key], `is not an app setting; known: ${[...APP_KNOWN].join(', ')}`);
  }
  const command = given.command ?? previous?.command;
  if (typeof command !== 'string' || command.trim() === '' || command.length > 4096 || /[\0\r\n]/.test(command)) {
    throw bad('app.command', command, 'must be a one-line start command (at most 4096 characters), e.g. "python3 app.py"');
  }
  const readinessPath = given.readinessPath === undefined ? previous?.readinessPath : httpPath('app.readinessPath', given.readinessPath);
  const eventPath = given.eventPath === undefined ? (previous?.eventPath ?? APP_DEFAULTS.eventPath) : httpPath('app.eventPath', given.eventPath);
  const startTimeoutMs = appInt(given, 'startTimeoutMs', 100, 300_000) ?? previous?.startTimeoutMs ?? APP_DEFAULTS.startTimeoutMs;
  const graceMs = appInt(given, 'graceMs', 0, 600_000) ?? previous?.graceMs ?? APP_DEFAULTS.graceMs;
  return Object.freeze({ command, ...(readinessPath === undefined ? {} : { readinessPath }), eventPath, startTimeoutMs, graceMs });
}

function appInt(input: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const v = input[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`app.${field}`, v, `must be a whole number from ${min} to ${max}`);
  return v;
}

/** A request path of the app's own: starts with "/", printable, no spaces. */
function httpPath(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^\/[\x21-\x7e]{0,1023}$/.test(v)) throw bad(field, v, 'must be a path starting with "/" (printable characters, no spaces)');
  return v;
}

/**
 * Why a variable (or secret: they share the function's env) cannot have this name, or
 * undefined when it can. The platform's own entries would silently win over it, and
 * `__proto__` cannot be a key of the env object a function gets (it is dropped on the way).
 */
export function reservedVariable(name: string, runtime: RuntimeKind): string | undefined {
  if (name.startsWith('NIMBUS_') || name === 'EVENTS') return 'is reserved: the platform sets NIMBUS_* variables and the EVENTS binding itself; pick another name';
  if (name === '__proto__') return 'is reserved: it cannot be a key of the env object a function gets; pick another name';
  if (runtime === 'app' && (name === 'PORT' || name === 'HOST')) return 'is set by the platform for an app (the address it must listen on)';
  return undefined;
}

function validateEnv(env: unknown): Record<string, string> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) throw bad('env', env, 'must be an object of strings');
  let bytes = 0;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw bad(`env.${k}`, k, 'is not a valid variable name (letters, digits, _; not starting with a digit)');
    const reserved = reservedVariable(k, 'isolate');
    if (reserved !== undefined) throw bad(`env.${k}`, k, reserved);
    if (typeof v !== 'string') throw bad(`env.${k}`, v, 'must be a string');
    bytes += k.length + v.length;
    out[k] = v;
  }
  if (bytes > ENV_LIMIT_BYTES) throw bad('env', `${bytes} bytes`, `exceeds the ${ENV_LIMIT_BYTES}-byte limit`);
  return out;
}

/** The same config always serialises the same way, so equal deploys hash equally. */
export function canonicalConfig(config: FunctionConfig): string {
  const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = Object.fromEntries(
    Object.entries({ ...config, env: Object.fromEntries(Object.entries(config.env).sort(byKey)) }).sort(byKey),
  );
  return JSON.stringify(sorted);
}
