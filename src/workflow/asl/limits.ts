/** Limits the interpreter enforces, with Step Functions' values as defaults. */
import { StatesError, StatesErrors } from './errors.ts';
import { MAX_JSON_DEPTH, jsonValueTooDeep } from '../../core/json-depth.ts';
import type { Json } from './types.ts';

/** The largest Seconds, TimeoutSeconds, HeartbeatSeconds, IntervalSeconds or MaxAttempts, as in Step Functions. */
export const MAX_SECONDS = 99_999_999;
/** The largest MaxConcurrency or ToleratedFailureCount. */
export const MAX_COUNT = 2_147_483_647;

export interface AslLimits {
  /** Largest state input/output, task payload or result, in UTF-8 bytes (SFN: 256 KiB). */
  readonly maxPayloadBytes: number;
  /** Largest value one Assign may store, in bytes (SFN: 256 KiB). */
  readonly maxAssignBytes: number;
  /** History events per execution before it fails with States.Runtime (SFN: 25 000). */
  readonly maxHistoryEvents: number;
  /** Depth of Parallel/Map nesting in a definition. */
  readonly maxNestingDepth: number;
  /** Size of the definition text, in bytes (SFN: 1 MiB). */
  readonly maxDefinitionBytes: number;
  /** Items a Map state may process (inline Map). */
  readonly maxMapItems: number;
}

export const DEFAULT_LIMITS: AslLimits = Object.freeze({
  maxPayloadBytes: 256 * 1024,
  maxAssignBytes: 256 * 1024,
  maxHistoryEvents: 25_000,
  maxNestingDepth: 10,
  maxDefinitionBytes: 1024 * 1024,
  maxMapItems: 40_000,
});

export function resolveLimits(partial: Partial<AslLimits> | undefined): AslLimits {
  const limits = { ...DEFAULT_LIMITS, ...(partial ?? {}) };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new TypeError(`limits.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze(limits);
}

/**
 * Raises States.DataLimitExceeded when `value` is larger than `max` bytes, or nests arrays
 * and objects deeper than the platform's JSON bound: a loop can wrap a value once a turn,
 * and the engine's own serialising and path evaluation recurse.
 */
export function checkSize(value: Json, max: number, what: string): void {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(what);
    throw error;
  }
  // Shorter than an opening and a closing bracket a level, it cannot be too deep.
  if (text.length > 2 * MAX_JSON_DEPTH && jsonValueTooDeep(value)) throw tooDeep(what);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > max) {
    throw new StatesError(
      StatesErrors.DataLimitExceeded,
      `The ${what} has ${bytes} bytes, more than the limit of ${max} bytes`,
    );
  }
}

function tooDeep(what: string): StatesError {
  return new StatesError(StatesErrors.DataLimitExceeded, `The ${what} nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
}
