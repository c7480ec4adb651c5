/**
 * Runs callbacks once the I/O callbacks of the current event-loop turn have run: what an
 * app printed before it answered is in its stdout pipe, readable in the same turn as the
 * answer but maybe not read yet, and its lines belong to the call. One setImmediate
 * serves every call that finished in the turn.
 */
export type AfterTurn = (fn: () => void) => void;

export function createAfterTurn(onError: (error: unknown) => void): AfterTurn {
  let queued: Array<() => void> = [];
  const flush = (): void => {
    const now = queued;
    queued = [];
    for (const fn of now) {
      try {
        fn();
      } catch (error) {
        onError(error);
      }
    }
  };
  return (fn) => {
    if (queued.push(fn) === 1) setImmediate(flush);
  };
}
