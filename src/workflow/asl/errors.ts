/**
 * ASL error names and how ErrorEquals matches them. A StatesError is the interpreter's
 * internal signal that a state reported an error; it never crosses the module boundary
 * (it becomes Retry/Catch handling, a failed branch, or an ExecutionFailed command).
 */

export const StatesErrors = {
  ALL: 'States.ALL',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  TaskFailed: 'States.TaskFailed',
  Permissions: 'States.Permissions',
  Runtime: 'States.Runtime',
  DataLimitExceeded: 'States.DataLimitExceeded',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ParameterPathFailure: 'States.ParameterPathFailure',
  QueryEvaluationError: 'States.QueryEvaluationError',
  BranchFailed: 'States.BranchFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  ItemReaderFailed: 'States.ItemReaderFailed',
  ResultWriterFailed: 'States.ResultWriterFailed',
} as const;

/** Every predefined name, for validation of ErrorEquals entries starting with "States.". */
export const PREDEFINED_ERRORS: ReadonlySet<string> = new Set<string>([
  ...Object.values(StatesErrors),
]);

export class StatesError extends Error {
  readonly error: string;
  readonly causeText: string;
  /** Set when the error came out of a Parallel branch or Map iteration. */
  readonly fromBranch: boolean;

  constructor(error: string, cause: string, fromBranch = false) {
    super(`${error}: ${cause}`);
    this.name = 'StatesError';
    this.error = error;
    this.causeText = cause;
    this.fromBranch = fromBranch;
  }
}

export function isStatesError(value: unknown): value is StatesError {
  return value instanceof StatesError;
}

/** Errors that States.ALL does not match (AWS: terminal and runtime errors). */
const NOT_MATCHED_BY_ALL: ReadonlySet<string> = new Set([StatesErrors.Runtime, StatesErrors.DataLimitExceeded]);

/**
 * Whether one ErrorEquals entry matches a reported error.
 * - `States.ALL` matches everything except States.Runtime and States.DataLimitExceeded.
 * - `States.Timeout` also matches States.HeartbeatTimeout.
 * - `States.TaskFailed` matches any error except the timeouts and the two above.
 * - `States.BranchFailed` matches any error that came out of a branch or iteration.
 * - States.Runtime is never matched, not even by name: it always fails the execution.
 */
export function errorMatches(pattern: string, error: string, fromBranch: boolean): boolean {
  if (error === StatesErrors.Runtime) return false;
  if (pattern === error) return true;
  switch (pattern) {
    case StatesErrors.ALL:
      return !NOT_MATCHED_BY_ALL.has(error);
    case StatesErrors.Timeout:
      return error === StatesErrors.HeartbeatTimeout;
    case StatesErrors.TaskFailed:
      return (
        !NOT_MATCHED_BY_ALL.has(error) && error !== StatesErrors.Timeout && error !== StatesErrors.HeartbeatTimeout
      );
    case StatesErrors.BranchFailed:
      return fromBranch && !NOT_MATCHED_BY_ALL.has(error);
    default:
      return false;
  }
}

export function anyMatches(patterns: readonly string[], error: string, fromBranch: boolean): boolean {
  return patterns.some((p) => errorMatches(p, error, fromBranch));
}

/** Renders anything thrown by our own helpers as a cause string. */
export function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
