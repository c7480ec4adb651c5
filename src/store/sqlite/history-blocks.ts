/**
 * An execution's ASL history on SQLite, in blocks: the events a step journals, when their
 * ids run on without a gap, are one row (execution_events: ids first..last, the events'
 * JSON texts joined by "\n", which JSON.stringify never writes). An event whose text holds
 * a newline, or whose id does not follow, starts a block of its own; a block of one event
 * is that event's text as given. Reading pages by event id, as one row per event did.
 */

export interface HistoryBlock {
  readonly first: number;
  readonly last: number;
  readonly events: string;
}

/** The rows to write for one step's history events (in the order given). */
export function toBlocks(history: ReadonlyArray<{ readonly id: number; readonly json: string }>): HistoryBlock[] {
  const out: HistoryBlock[] = [];
  let first = 0;
  let last = 0;
  let texts: string[] = [];
  const close = () => {
    if (texts.length > 0) out.push({ first, last, events: texts.length === 1 ? texts[0] : texts.join('\n') });
    texts = [];
  };
  for (const h of history) {
    const joinable = !h.json.includes('\n');
    if (texts.length > 0 && joinable && h.id === last + 1 && !texts[texts.length - 1].includes('\n')) {
      texts.push(h.json);
      last = h.id;
      continue;
    }
    close();
    first = h.id;
    last = h.id;
    texts = [h.json];
  }
  close();
  return out;
}

/** Up to `limit` events with an id above `afterId`, in id order, from blocks read in order of their last id. */
export function fromBlocks(rows: ReadonlyArray<{ readonly first_event_id: number; readonly last_event_id: number; readonly events: string }>, afterId: number, limit: number): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const texts = r.first_event_id === r.last_event_id ? [r.events] : r.events.split('\n');
    for (let i = 0; i < texts.length && out.length < limit; i++) {
      if (r.first_event_id + i > afterId) out.push(texts[i]);
    }
    if (out.length >= limit) break;
  }
  return out;
}
