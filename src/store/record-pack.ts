/**
 * A RecordPack (ports.ts) that keeps the records as the objects they are: for a store with
 * no compact form of its own and for stand-in repos in tests. SQLite's and PostgreSQL's
 * stores share a compact one (record-block.ts, BlockPack): their writer threads take blocks.
 */
import type { InvocationRecord } from '../core/types.ts';
import { byIdNewestFirst, matchesQuery } from './invocation-query.ts';
import type { InvocationQuery, InvocationRepo, RecordBatch, RecordPack } from './ports.ts';

export class ArrayPack implements RecordPack {
  readonly #kept: InvocationRecord[] = [];

  get count(): number {
    return this.#kept.length;
  }

  add(record: InvocationRecord): void {
    this.#kept.push(record);
  }

  find(id: string): InvocationRecord | undefined {
    return this.#kept.find((r) => r.id === id);
  }

  records(query?: InvocationQuery): InvocationRecord[] {
    if (query === undefined) return [...this.#kept];
    return this.#kept.filter((r) => matchesQuery(r, query)).sort(byIdNewestFirst).slice(0, query.limit);
  }
}

/** An empty pack for records to be appended to `repo`: the store's own when it has one, sized for about `capacity` records. */
export function packFor(repo: Pick<InvocationRepo, 'newPack'>, capacity?: number): RecordPack {
  return repo.newPack?.(capacity) ?? new ArrayPack();
}

/** The records of what append() was handed. */
export function recordsOf(batch: RecordBatch | readonly InvocationRecord[]): readonly InvocationRecord[] {
  return Array.isArray(batch) ? batch : (batch as RecordBatch).records();
}
