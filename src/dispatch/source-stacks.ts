/**
 * An uncaught function error is logged with its stack in the positions of the files the
 * developer wrote, not of the bundle: the source map esbuild made at deploy (kept with
 * the code) maps each frame, read with node:module's SourceMap. Errors are rare next to
 * invocations, so a map is read and parsed at the first error of its code and kept for a
 * few codes; the hot path never touches one.
 */
import { SourceMap } from 'node:module';
import type { FunctionVersion } from '../core/types.ts';
import { bundleFileName } from '../runtime/port.ts';
import type { FunctionRepo } from '../store/ports.ts';

export interface SourcePosition {
  readonly file: string;
  /** 1-based, like a stack's. */
  readonly line: number;
  readonly column: number;
}

/** Where a 1-based bundle position came from, or null when the map has nothing for it. */
export type PositionLookup = (line: number, column: number) => SourcePosition | null;

/**
 * `stack` with every `<filename>:<line>:<column>` that `lookup` knows replaced by the
 * source position; lines and positions it does not know stay as they are.
 */
export function mapStack(stack: string, filename: string, lookup: PositionLookup): string {
  const position = new RegExp(`${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  return stack.replace(position, (whole, line: string, column: string) => {
    const source = lookup(Number(line), Number(column));
    return source ? `${source.file}:${source.line}:${source.column}` : whole;
  });
}

/** A lookup over a v3 source map (JSON text); null when the text is not one. */
export function sourceMapLookup(json: string): PositionLookup | null {
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(json) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return null;
  }
  return (line, column) => {
    const entry = map.findEntry(line - 1, column - 1) as Partial<{ generatedLine: number; originalSource: string; originalLine: number; originalColumn: number }>;
    // findEntry answers the nearest mapping before the position, even from another line:
    // only a mapping on the frame's own line says where that line came from.
    if (entry.originalSource === undefined || entry.generatedLine !== line - 1) return null;
    return { file: displayName(entry.originalSource), line: (entry.originalLine ?? 0) + 1, column: (entry.originalColumn ?? 0) + 1 };
  };
}

/** Files sent over the API are bundled from a virtual namespace (deploy/bundle.ts): show their own names. */
function displayName(source: string): string {
  return source.startsWith('src:/') ? source.slice('src:/'.length) : source;
}

/** Renders function errors' stacks in source positions, maps loaded from the store on first use. */
export class SourceStacks {
  /** Parsed maps by code hash, most recently used last; null: that code has no usable map. */
  private readonly maps = new Map<string, PositionLookup | null>();

  constructor(
    private readonly functions: Pick<FunctionRepo, 'getSourceMap'>,
    private readonly keep = 16,
  ) {}

  /** The stack of an error thrown by `version`'s code, mapped when its map allows. Never throws. */
  async render(version: FunctionVersion, stack: string): Promise<string> {
    const lookup = await this.lookupFor(version.codeHash);
    return lookup ? mapStack(stack, bundleFileName(version.functionName), lookup) : stack;
  }

  private async lookupFor(codeHash: string): Promise<PositionLookup | null> {
    if (this.maps.has(codeHash)) {
      const hit = this.maps.get(codeHash) ?? null;
      this.maps.delete(codeHash);
      this.maps.set(codeHash, hit);
      return hit;
    }
    let lookup: PositionLookup | null = null;
    try {
      const json = await this.functions.getSourceMap(codeHash);
      lookup = json === null ? null : sourceMapLookup(json);
    } catch {
      return null; // the store could not answer now: try again at the next error
    }
    this.maps.set(codeHash, lookup);
    if (this.maps.size > this.keep) this.maps.delete(this.maps.keys().next().value as string);
    return lookup;
  }
}
