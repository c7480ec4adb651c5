/** A database row as both store drivers return it (better-sqlite3 and pg): column name to value. */
export type Row = Record<string, unknown>;
