/**
 * How many invocation records a run has issued and how many the store has committed, kept
 * where a crash of the process does not lose them, so that the next start can say how many
 * records the crash lost. The recorder notes both totals as they move: issued at each
 * catch-up (every flush interval or sooner), committed after each write.
 */
export interface RecordLedger {
  noteIssued(total: number): void;
  noteCommitted(total: number): void;
}

/** What the previous run left: its totals, and so the records it lost (issued, never committed). */
export interface PreviousRun {
  readonly issued: number;
  readonly committed: number;
  readonly lost: number;
}

export function previousRun(issued: number, committed: number): PreviousRun {
  return { issued, committed, lost: Math.max(0, issued - committed) };
}
