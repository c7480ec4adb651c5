/**
 * Runs callbacks once the I/O callbacks of the current event-loop turn have run: what an
 * app printed before it answered is in its stdout pipe, readable in the same turn as the
 * answer but maybe not read yet, and its lines belong to the call. One setImmediate
 * serves every call that finished in the turn.
 */
export interface TurnTask {
  afterTurn(): void;
}

export type AfterTurn = (task: TurnTask) => void;

export function createAfterTurn(onError: (error: unknown) => void): AfterTurn {
  let queued: TurnTask[] = [];
  const flush = (): void => {
    const now = queued;
    queued = [];
    for (const task of now) {
      try {
        task.afterTurn();
      } catch (error) {
        onError(error);
      }
    }
  };
  return (task) => {
    if (queued.push(task) === 1) setImmediate(flush);
  };
}
