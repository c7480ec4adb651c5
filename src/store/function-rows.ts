/**
 * Function, version and alias rows as the function port's objects, for both stores: their
 * columns hold the same values in SQLite and PostgreSQL (text, numbers, and JSON kept as text).
 */
import type { AliasRoute, FunctionAlias, FunctionInfo, FunctionVersion } from '../core/types.ts';
import type { Row } from './row.ts';

export function toInfo(row: Row): FunctionInfo {
  return { name: row.name as string, currentVersion: row.current_version as number, createdAt: row.created_at as number, updatedAt: row.updated_at as number };
}

/** A version row joined with its code row (for `bytes`). */
export function toVersion(row: Row): FunctionVersion {
  return {
    functionName: row.function_name as string,
    version: row.version as number,
    hash: row.hash as string,
    codeHash: row.code_hash as string,
    codeBytes: row.bytes as number,
    config: JSON.parse(row.config as string),
    exports: JSON.parse(row.exports as string),
    createdAt: row.created_at as number,
  };
}

export function toAlias(row: Row): FunctionAlias {
  return {
    functionName: row.function_name as string,
    name: row.name as string,
    routes: JSON.parse(row.routes as string) as AliasRoute[],
    previous: row.previous === null ? null : (JSON.parse(row.previous as string) as AliasRoute[]),
    updatedAt: row.updated_at as number,
  };
}
