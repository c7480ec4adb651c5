/**
 * An execution's history as GetExecutionHistory answers it. Nimbus's events are Step
 * Functions-shaped already (timestamps become epoch seconds, data fields JSON text), with one
 * difference: Nimbus journals every Task as Task* events, where Step Functions reports a
 * Task whose Resource is a Lambda function ARN (not the `lambda:invoke` integration) as
 * LambdaFunctionScheduled, LambdaFunctionStarted, then LambdaFunctionSucceeded, Failed or
 * TimedOut, with `lambdaFunction<Type>EventDetails`. Those are rewritten here, a Started
 * event inserted after each Scheduled one, and the ids renumbered (previousEventId follows).
 */

import { seconds } from './sfn-arns.ts';

type Event = Record<string, unknown>;

const epoch = (timestamp: unknown) => seconds(Date.parse(String(timestamp)));

const DATA_FIELDS = new Set(['input', 'output', 'parameters']);

/** Nimbus's event as Step Functions reports it (the Task* events of any resource but a Lambda function ARN). */
function awsEvent(e: Event, withData: boolean, role: string): Event {
  const out: Event = { timestamp: epoch(e.timestamp), type: e.type, id: e.id, previousEventId: e.previousEventId };
  for (const [k, v] of Object.entries(e)) {
    if (!k.endsWith('EventDetails') || v === null || typeof v !== 'object') continue;
    const details: Event = {};
    for (const [dk, dv] of Object.entries(v as Event)) {
      if (DATA_FIELDS.has(dk)) {
        if (!withData) continue;
        details[dk] = dataText(dv);
        if (dk !== 'parameters') details[`${dk}Details`] ??= { truncated: false };
      } else if (dk === 'roleArn' && dv === '') details[dk] = role;
      else details[dk] = dv;
    }
    out[k] = details;
  }
  return out;
}

function dataText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

function detailsOf(e: Event, key: string): Event {
  const d = e[key];
  return d !== null && typeof d === 'object' ? (d as Event) : {};
}

/** The Lambda* event for a Task* event of a Lambda function resource. */
function lambdaEvent(e: Event, withData: boolean): Event {
  const base = { timestamp: epoch(e.timestamp), id: e.id, previousEventId: e.previousEventId };
  switch (e.type) {
    case 'TaskScheduled': {
      const d = detailsOf(e, 'taskScheduledEventDetails');
      return {
        ...base,
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource: d.resource,
          ...(withData ? { input: dataText(d.parameters), inputDetails: { truncated: false } } : {}),
          ...(typeof d.timeoutInSeconds === 'number' ? { timeoutInSeconds: d.timeoutInSeconds } : {}),
        },
      };
    }
    case 'TaskSucceeded': {
      const d = detailsOf(e, 'taskSucceededEventDetails');
      return { ...base, type: 'LambdaFunctionSucceeded', lambdaFunctionSucceededEventDetails: withData ? { output: dataText(d.output), outputDetails: { truncated: false } } : {} };
    }
    case 'TaskFailed': {
      const d = detailsOf(e, 'taskFailedEventDetails');
      return { ...base, type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error: d.error, cause: d.cause } };
    }
    default: {
      const d = detailsOf(e, 'taskTimedOutEventDetails');
      return { ...base, type: 'LambdaFunctionTimedOut', lambdaFunctionTimedOutEventDetails: { error: d.error, cause: d.cause } };
    }
  }
}

const TASK_END = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut']);

/** The whole history, in order, as Step Functions reports it. */
export function awsHistory(events: readonly Event[], withData: boolean, role: string): Event[] {
  // Scheduled events of Lambda function tasks, by Nimbus id: a task's end event follows its
  // Scheduled event in the same thread, so its previousEventId names it.
  const lambdaScheduled = new Set<unknown>();
  const ids = new Map<unknown, number>();
  /** What a reference to a Scheduled event becomes: the Started event after it. */
  const startedFor = new Map<unknown, number>();
  const out: Event[] = [];
  for (const e of events) {
    const d = detailsOf(e, 'taskScheduledEventDetails');
    const isLambda = (e.type === 'TaskScheduled' && d.resourceType === 'function') || (TASK_END.has(String(e.type)) && lambdaScheduled.has(e.previousEventId));
    const converted = isLambda ? lambdaEvent(e, withData) : awsEvent(e, withData, role);
    const id = out.length + 1;
    ids.set(e.id, id);
    converted.id = id;
    converted.previousEventId = startedFor.get(e.previousEventId) ?? ids.get(e.previousEventId) ?? 0;
    out.push(converted);
    if (isLambda && e.type === 'TaskScheduled') {
      lambdaScheduled.add(e.id);
      startedFor.set(e.id, id + 1);
      out.push({ timestamp: converted.timestamp, type: 'LambdaFunctionStarted', id: id + 1, previousEventId: id });
    }
  }
  return out;
}
