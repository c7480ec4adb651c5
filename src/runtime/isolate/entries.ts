/**
 * Entries into one isolate (the shim's `recv`), sent at the end of the turn of the event loop
 * that made them, all of that turn's together. Each entry is a task for the isolate's thread;
 * one asleep is woken for it (a futex wake and, on a busy machine, a context switch on the
 * platform's thread), while tasks queued behind one already running cost no wake. So under
 * load, with several requests for one instance parsed in one turn, the isolate is woken once
 * for all of them instead of once each, and a lone request waits for nothing but the end of
 * the callback that made it (its turn has nothing else to do).
 *
 * `apply` records the caller's stack (up to 10 JavaScript frames) for its promise's errors,
 * and each frame costs the platform's thread about as much as the rest of the call. So an
 * entry that reports its rejection is applied by a promise job whose handler is `apply` itself,
 * bound to its arguments: no frame of ours is on the stack when it runs, and none at all when
 * the job runs from the microtask checkpoint at the end of the turn's callbacks.
 *
 * Each entry stays its own `apply`, so its own task in the isolate, which owns the
 * microtasks it starts, its log lines and its unhandled rejection: code after an `await`
 * runs in the microtasks at the end of its task, so invocations sharing one task could not
 * be told apart (whose log line, whose rejection, whose CPU).
 */
import ivm from 'isolated-vm';

export interface EntrySink {
  readonly recv: ivm.Reference<(...args: unknown[]) => unknown>;
  /** Entries go in with apply, whose promise reports the task's unhandled rejection; else applyIgnored. */
  readonly reportRejections: boolean;
  /**
   * The task of an entry for `owner` (an invocation's seq, 0: none in particular) left a
   * rejection unhandled, or the entry could not be sent (then the isolate is gone).
   */
  readonly rejected: (owner: number, reason: unknown) => void;
  /** A queued entry could not be sent (the isolate went away under it). */
  readonly failed: (error: unknown) => void;
}

export class Entries {
  readonly #sink: EntrySink;
  /** Queued entries, flat: each as its argument list, then its owner. */
  #queue: unknown[] = [];
  /** The end of this turn is awaited: it sends what is queued. */
  #gathering = false;
  #dropped = false;
  /** Settles once the last entry sent in has ended and its unhandled rejection, if any, was taken. */
  last: Promise<void> = Promise.resolve();

  constructor(sink: EntrySink) {
    this.#sink = sink;
  }

  /**
   * Queues `args` ([kind, ...arguments]) to go into the isolate at the end of this turn.
   * `copy`: an argument is not a primitive (a body, an event, a reply's value); it is copied
   * here and now, so a value that cannot be copied throws to the caller.
   */
  send(args: unknown[], copy: boolean, owner: number): void {
    if (this.#dropped) return;
    this.#queue.push(copy ? args.map(copied) : args, owner);
    if (this.#gathering) return;
    this.#gathering = true;
    turnEnd(this);
  }

  /**
   * Sends what is queued now (the caller may then await `last`, which covers it). Entries that
   * report rejections go in from the microtasks that follow, in order; `apply` throwing there
   * (the isolate went away) reaches `rejected`, which must tell a gone isolate apart.
   */
  flush(): void {
    const queue = this.#queue;
    if (queue.length === 0 || this.#dropped) return;
    this.#queue = [];
    const recv = this.#sink.recv;
    const report = this.#sink.reportRejections;
    for (let i = 0; i < queue.length; i += 2) {
      const args = queue[i] as ivm.Transferable[];
      const owner = queue[i + 1] as number;
      if (!report) {
        try {
          recv.applyIgnored(undefined, args);
        } catch (error) {
          this.#sink.failed(error);
          return;
        }
      } else {
        const enter = recv.apply.bind(recv, undefined, args) as () => Promise<unknown>;
        this.last = NOW.then(enter).then(undefined, (reason: unknown) => this.#sink.rejected(owner, reason));
      }
    }
  }

  /** At the end of a turn: sends what waited for it. */
  turnEnded(): void {
    this.#gathering = false;
    this.flush();
  }

  /** The isolate is gone: nothing more goes in. */
  drop(): void {
    this.#dropped = true;
    this.#queue = [];
  }
}

/** Settled: a job queued on it runs at the next microtask checkpoint. */
const NOW: Promise<void> = Promise.resolve();

/** An argument as apply takes it without copying: a primitive as it is, anything else copied now. */
function copied(value: unknown): unknown {
  return value === null || typeof value !== 'object' ? value : new ivm.ExternalCopy(value).copyInto({ release: true });
}

/*
 * One setImmediate a turn for all instances with entries queued in it. Like the message
 * queue in prepare.ts, this is about the event loop's phases, not about time: the Clock is
 * not involved, and nothing waits past the turn under way. (Entries made in the check phase
 * itself, by an isolate's messages delivered there, go at the end of the next turn, which
 * does not wait in the poll phase while an immediate is pending.)
 */
let ending: Entries[] = [];
let endScheduled = false;

function turnEnd(entries: Entries): void {
  ending.push(entries);
  if (!endScheduled) {
    endScheduled = true;
    setImmediate(endTurn);
  }
}

function endTurn(): void {
  endScheduled = false;
  const all = ending;
  ending = [];
  for (const entries of all) entries.turnEnded();
}
