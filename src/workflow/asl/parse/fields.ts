/** Which fields each state type accepts in each query language, and hints for misuse. */
import type { StateType } from '../model.ts';
import type { QueryLanguage } from '../types.ts';

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const FLOW = ['Next', 'End'];
const ERRORS = ['Retry', 'Catch'];
const MAP_COMMON = ['ItemProcessor', 'Iterator', 'ItemSelector', 'ItemReader', 'ItemBatcher', 'ResultWriter', 'Label'];

const JSONPATH: Record<StateType, readonly string[]> = {
  Pass: [...COMMON, ...FLOW, 'InputPath', 'OutputPath', 'Parameters', 'ResultPath', 'Result', 'Assign'],
  Task: [
    ...COMMON, ...FLOW, ...ERRORS, 'InputPath', 'OutputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'Assign',
    'Resource', 'TimeoutSeconds', 'TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath', 'Credentials',
  ],
  Choice: [...COMMON, 'InputPath', 'OutputPath', 'Choices', 'Default', 'Assign'],
  Wait: [...COMMON, ...FLOW, 'InputPath', 'OutputPath', 'Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath', 'Assign'],
  Succeed: [...COMMON, 'InputPath', 'OutputPath'],
  Fail: [...COMMON, 'Error', 'ErrorPath', 'Cause', 'CausePath'],
  Parallel: [...COMMON, ...FLOW, ...ERRORS, 'InputPath', 'OutputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'Assign', 'Branches'],
  Map: [
    ...COMMON, ...FLOW, ...ERRORS, ...MAP_COMMON, 'InputPath', 'OutputPath', 'Parameters', 'ResultSelector', 'ResultPath',
    'Assign', 'ItemsPath', 'MaxConcurrency', 'MaxConcurrencyPath', 'ToleratedFailureCount', 'ToleratedFailureCountPath',
    'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath',
  ],
};

const JSONATA: Record<StateType, readonly string[]> = {
  Pass: [...COMMON, ...FLOW, 'Output', 'Assign'],
  Task: [...COMMON, ...FLOW, ...ERRORS, 'Arguments', 'Output', 'Assign', 'Resource', 'TimeoutSeconds', 'HeartbeatSeconds', 'Credentials'],
  Choice: [...COMMON, 'Choices', 'Default', 'Output', 'Assign'],
  Wait: [...COMMON, ...FLOW, 'Seconds', 'Timestamp', 'Output', 'Assign'],
  Succeed: [...COMMON, 'Output'],
  Fail: [...COMMON, 'Error', 'Cause'],
  Parallel: [...COMMON, ...FLOW, ...ERRORS, 'Arguments', 'Output', 'Assign', 'Branches'],
  Map: [
    ...COMMON, ...FLOW, ...ERRORS, ...MAP_COMMON, 'Items', 'Output', 'Assign', 'MaxConcurrency',
    'ToleratedFailureCount', 'ToleratedFailurePercentage',
  ],
};

export const STATE_TYPES: readonly StateType[] = ['Pass', 'Task', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'];

export function allowedFields(type: StateType, ql: QueryLanguage): ReadonlySet<string> {
  return new Set(ql === 'JSONata' ? JSONATA[type] : JSONPATH[type]);
}

/** What to use instead of a JSONPath-only field in a JSONata state (and vice versa). */
const JSONATA_INSTEAD: Record<string, string> = {
  InputPath: 'Arguments (with $states.input)',
  Parameters: 'Arguments',
  ResultSelector: 'Output (with $states.result)',
  ResultPath: 'Output (with $states.input and $states.result)',
  OutputPath: 'Output',
  Result: 'Output',
  ItemsPath: 'Items',
  TimeoutSecondsPath: 'TimeoutSeconds with a {% %} expression',
  HeartbeatSecondsPath: 'HeartbeatSeconds with a {% %} expression',
  SecondsPath: 'Seconds with a {% %} expression',
  TimestampPath: 'Timestamp with a {% %} expression',
  ErrorPath: 'Error with a {% %} expression',
  CausePath: 'Cause with a {% %} expression',
  MaxConcurrencyPath: 'MaxConcurrency with a {% %} expression',
  ToleratedFailureCountPath: 'ToleratedFailureCount with a {% %} expression',
  ToleratedFailurePercentagePath: 'ToleratedFailurePercentage with a {% %} expression',
};

const JSONPATH_INSTEAD: Record<string, string> = {
  Arguments: 'Parameters',
  Output: 'OutputPath, ResultSelector or ResultPath',
  Items: 'ItemsPath',
};

export function unknownFieldMessage(field: string, type: StateType, ql: QueryLanguage): string {
  if (ql === 'JSONata' && JSONATA_INSTEAD[field] !== undefined) {
    return `"${field}" is a JSONPath field but this state uses JSONata; use ${JSONATA_INSTEAD[field]}`;
  }
  if (ql === 'JSONPath' && JSONPATH_INSTEAD[field] !== undefined) {
    return `"${field}" is a JSONata field but this state uses JSONPath; use ${JSONPATH_INSTEAD[field]} or set "QueryLanguage": "JSONata"`;
  }
  return `the field "${field}" is not supported in a ${type} state`;
}

export const RETRIER_FIELDS: ReadonlySet<string> = new Set([
  'ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy', 'Comment',
]);

export function catcherFields(ql: QueryLanguage): ReadonlySet<string> {
  return new Set(ql === 'JSONata' ? ['ErrorEquals', 'Next', 'Output', 'Assign', 'Comment'] : ['ErrorEquals', 'Next', 'ResultPath', 'Assign', 'Comment']);
}

export const TOP_LEVEL_FIELDS: ReadonlySet<string> = new Set(['StartAt', 'States', 'Comment', 'Version', 'TimeoutSeconds', 'QueryLanguage']);
export const BRANCH_FIELDS: ReadonlySet<string> = new Set(['StartAt', 'States', 'Comment']);
export const PROCESSOR_FIELDS: ReadonlySet<string> = new Set(['StartAt', 'States', 'Comment', 'ProcessorConfig']);
