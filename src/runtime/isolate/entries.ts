/**
 * Entries into one isolate (the shim's `recv`). With unhandled rejections reported, each
 * entry goes in with `apply`, and isolated-vm's `apply` records the caller's stack (up to
 * ten frames) for the errors of its promise: called from deep inside a request's handling
 * (the HTTP parser, the gateway, the dispatcher, the pool) that walk costs the platform's
 * thread more than the rest of the crossing (bench/README.md, "Hot path"). So entries are
 * queued and sent from a microtask, at the end of the callback that made them (no turn of
 * the event loop is waited for), each still as its own `apply`: its own task in the
 * isolate, which owns the microtasks it starts, its log lines and its unhandled rejection.
 * Without rejections reported, `applyIgnored` records no stack and entries go in at once.
 *
 * Not done, on purpose: several entries in one task. Code after an `await` runs in the
 * microtasks at the end of its task, so the invocations sharing a task could not be told
 * apart (whose log line, whose rejection, whose CPU).
 */
import ivm from 'isolated-vm';

export interface EntrySink {
  readonly recv: ivm.Reference<(...args: unknown[]) => unknown>;
  /** Entries go in with apply, whose promise reports the task's unhandled rejection; else applyIgnored. */
  readonly reportRejections: boolean;
  /** The task of an entry for `owner` (an invocation's seq, 0: none in particular) left a rejection unhandled. */
  readonly rejected: (owner: number, reason: unknown) => void;
  /** A queued entry could not be sent (the isolate went away under it). */
  readonly failed: (error: unknown) => void;
}

export class Entries {
  readonly #sink: EntrySink;
  /** Queued entries, flat: each as its argument list, then its owner. */
  #queue: unknown[] = [];
  #scheduled = false;
  /** An entry went in this turn (or the turn before sent some at its end): later ones wait for the turn's end. */
  #gathering = false;
  #dropped = false;
  readonly #flush = () => this.flush();
  /** Settles once the last entry sent in has ended and its unhandled rejection, if any, was taken. */
  last: Promise<void> = Promise.resolve();

  constructor(sink: EntrySink) {
    this.#sink = sink;
  }

  /**
   * Sends `args` ([kind, ...arguments]) into the isolate: from this callback's microtasks
   * when none went in this turn, else at the turn's end with the others. `copy`: an argument
   * is not a primitive (a body, an event, a reply's value); it is copied here and now, so a
   * value that cannot be copied throws to the caller.
   */
  send(args: unknown[], copy: boolean, owner: number): void {
    if (this.#dropped) return;
    this.#queue.push(copy ? args.map(copied) : args, owner);
    if (this.#gathering) return;
    this.#gathering = true;
    turnEnd(this);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Sends what is queued now (the caller may then await `last`, which covers it). */
  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    if (queue.length === 0 || this.#dropped) return;
    this.#queue = [];
    const recv = this.#sink.recv;
    const report = this.#sink.reportRejections;
    for (let i = 0; i < queue.length; i += 2) {
      const args = queue[i] as ivm.Transferable[];
      const owner = queue[i + 1] as number;
      try {
        if (!report) recv.applyIgnored(undefined, args);
        else this.last = recv.apply(undefined, args).then(undefined, (reason: unknown) => this.#sink.rejected(owner, reason));
      } catch (error) {
        this.#sink.failed(error);
        return;
      }
    }
  }

  /** At the end of a turn: sends what waited for it, and keeps gathering for the next turn if there was some. */
  turnEnded(): boolean {
    if (this.#queue.length === 0 || this.#dropped) {
      this.#gathering = false;
      return false;
    }
    this.flush();
    return true;
  }

  /** The isolate is gone: nothing more goes in. */
  drop(): void {
    this.#dropped = true;
    this.#queue = [];
  }
}

/** An argument as apply takes it without copying: a primitive as it is, anything else copied now. */
function copied(value: unknown): unknown {
  return value === null || typeof value !== 'object' ? value : new ivm.ExternalCopy(value).copyInto({ release: true });
}

/*
 * One setImmediate a turn for all instances that sent an entry in it. Like the message queue
 * in prepare.ts, this is about the event loop's phases, not about time: the Clock is not
 * involved, and nothing waits past the turn under way.
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
  for (const entries of all) if (entries.turnEnded()) turnEnd(entries);
}
