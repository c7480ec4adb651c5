/**
 * SELECTs whose WHERE clause depends on which filters a query sets (lists with optional
 * filters): the statement of each combination is prepared once, at its first use, and kept.
 */
import type Database from 'better-sqlite3';

/** A condition with the values of its `?`s, or false when the query does not set that filter. */
export type Filter = readonly [condition: string, ...values: unknown[]] | false;

export function filteredSelect(db: Database.Database) {
  const prepared = new Map<string, Database.Statement>();
  /** `SELECT … FROM …`, the filters, and what follows the WHERE (ORDER BY, LIMIT ?): the statement and the filters' values. */
  return (select: string, filters: readonly Filter[], rest: string): { readonly stmt: Database.Statement; readonly args: unknown[] } => {
    const set = filters.filter((f): f is readonly [string, ...unknown[]] => f !== false);
    const sql = `${select}${set.length > 0 ? ' WHERE ' + set.map(([c]) => c).join(' AND ') : ''} ${rest}`;
    let stmt = prepared.get(sql);
    if (stmt === undefined) prepared.set(sql, (stmt = db.prepare(sql)));
    return { stmt, args: set.flatMap(([, ...values]) => values) };
  };
}
