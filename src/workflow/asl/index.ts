/**
 * Nimbus ASL: a deterministic, journal-friendly Amazon States Language interpreter.
 *
 *   const machine = parseStateMachine(definitionText);             // validate + compile once
 *   let step = await start(machine, input, { executionId }, now, random);
 *   // journal step, perform step.commands, then for each outcome:
 *   step = await apply(machine, step.snapshot, event, now, random);
 *
 * See docs/workflows.md for the contract a durable engine must keep.
 */
export { parseStateMachine, type ParseOptions } from './parse/validate.ts';
export type { ValidationIssue } from './parse/issues.ts';
export { start, apply, redrive, outstandingCommands, type StepOptions } from './interpreter/api.ts';
export { seededRandom, uuidV4 } from './random.ts';
export { DEFAULT_LIMITS, type AslLimits } from './limits.ts';
export { StatesErrors, errorMatches } from './errors.ts';
export { SUPPORTED_RESOURCES } from './resources.ts';
export { INTRINSIC_NAMES } from './jsonpath/intrinsics.ts';
export type { StateMachine, StateType } from './model.ts';
export type * from './types.ts';
