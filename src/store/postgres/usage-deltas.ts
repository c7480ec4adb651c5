/**
 * What a batch of records adds to usage, summed per function-hour, and the one upsert that
 * adds it (in the transaction that stores the records, so usage counts each record once).
 */
import pg from 'pg';
import { countUsage, hourOf, ZERO_USAGE, type MutableUsage, type UsageSource } from '../../core/usage.ts';
import { valuesList, type Sql } from './pg-client.ts';

/** Usage deltas of one batch, summed per function-hour. */
export class UsageDeltas {
  readonly #totals = new Map<string, { fn: string; hour: number; u: MutableUsage }>();
  /** The function-hour the last record added to: records of a batch come mostly in runs of one. */
  #last: { fn: string; hour: number; u: MutableUsage } | undefined;

  add(r: UsageSource & { functionName: string; startedAt: number }, sign = 1): void {
    const hour = hourOf(r.startedAt);
    let t = this.#last;
    if (t === undefined || t.hour !== hour || t.fn !== r.functionName) {
      const key = `${hour}\u0000${r.functionName}`;
      t = this.#totals.get(key);
      if (!t) this.#totals.set(key, (t = { fn: r.functionName, hour, u: { ...ZERO_USAGE } }));
      this.#last = t;
    }
    countUsage(t.u, r, sign);
  }

  /** The rows to upsert, in key order (concurrent batches lock the rows in the same order), each as its 11 values. */
  #rows(): unknown[][] {
    const rows = [...this.#totals.values()].sort((a, b) => a.hour - b.hour || (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : 0));
    return rows.map(({ fn, hour, u }) => [fn, hour, u.requests, u.errors, u.throttles, u.coldStarts, u.billedMs, u.gbSeconds, u.cpuMs, u.occupancyGbSeconds, u.instanceGbSeconds]);
  }

  /** One multi-row upsert with parameters, in the caller's transaction. */
  async apply(sql: Sql): Promise<void> {
    const rows = this.#rows();
    if (rows.length > 0) await sql.query(upsert(`VALUES ${valuesList(rows.length, WIDTH)}`), rows.flat());
  }

  /**
   * The same upsert as an EXECUTE of USAGE_ADD (prepared on the connection first) with its
   * values written in, one array a column (null: nothing to add), to go in one simple query
   * with other statements: the upsert is then neither parsed nor planned again for each batch.
   * A name is quoted by escapeLiteral, a number is a finite JavaScript number (what it prints
   * PostgreSQL reads back exactly).
   */
  execute(): string | null {
    const rows = this.#rows();
    if (rows.length === 0) return null;
    const column = (c: number) => `ARRAY[${rows.map((r) => (c === 0 ? pg.escapeLiteral(r[0] as string) : literal(r[c]))).join(', ')}]::${USAGE_TYPES[c]}[]`;
    return `EXECUTE ${USAGE_ADD} (${USAGE_TYPES.map((_, c) => column(c)).join(', ')})`;
  }
}

/** The name of the prepared usage upsert (PREPARE_USAGE_ADD), one per connection. */
const USAGE_ADD = 'nimbus_usage_add';
/** The type of each upsert column, in #rows order. */
const USAGE_TYPES = ['text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'float8', 'float8', 'float8', 'float8'] as const;

/** Prepares USAGE_ADD on a connection: the upsert of rows given as one array a column. */
export const PREPARE_USAGE_ADD = `PREPARE ${USAGE_ADD} (${USAGE_TYPES.map((t) => `${t}[]`).join(', ')}) AS ${upsert(
  `SELECT * FROM unnest(${USAGE_TYPES.map((_, c) => `$${c + 1}`).join(', ')})`,
)}`;

const WIDTH = 11;

/** The upsert of `rows`: a VALUES list or a SELECT giving the 11 columns. */
function upsert(rows: string): string {
  return `INSERT INTO usage AS u (function_name, hour, requests, errors, throttles, cold_starts, billed_ms, gb_seconds, cpu_ms, occupancy_gb_seconds, instance_gb_seconds)
       ${rows}
       ON CONFLICT (function_name, hour) DO UPDATE SET requests = u.requests + excluded.requests, errors = u.errors + excluded.errors,
         throttles = u.throttles + excluded.throttles, cold_starts = u.cold_starts + excluded.cold_starts, billed_ms = u.billed_ms + excluded.billed_ms,
         gb_seconds = u.gb_seconds + excluded.gb_seconds, cpu_ms = u.cpu_ms + excluded.cpu_ms, occupancy_gb_seconds = u.occupancy_gb_seconds + excluded.occupancy_gb_seconds,
         instance_gb_seconds = u.instance_gb_seconds + excluded.instance_gb_seconds`;
}

function literal(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new RangeError(`a usage total is not a finite number: ${String(n)}`);
  return String(n);
}
