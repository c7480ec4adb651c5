/**
 * An uncaught function error is logged with its stack in the positions of the files the
 * developer wrote, not of the bundle: the source map esbuild made at deploy (kept with
 * the code) maps each frame, read with node:module's SourceMap. Errors are rare next to
 * invocations, so a map is read and parsed at the first error of its code and kept for a
 * few codes; the hot path never touches one.
 */
import { SourceMap } from 'node:module';
import { escapeRegExp } from '../core/regexp.ts';
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
 * The frames (`    at …` lines) of `stack` with every `<filename>:<line>:<column>` that
 * `lookup` knows replaced by the source position; other frames stay as they are. Only
 * positions that follow a space or "(" count, so `data.js:1:2` is not `a.js:1:2`.
 */
export function mappedFrames(stack: string, filename: string, lookup: PositionLookup): string[] {
  const position = new RegExp(`(^|[\\s(])${escapeRegExp(filename)}:(\\d+):(\\d+)`, 'g');
  return framesOf(stack).map((line) =>
    line.replace(position, (whole, before: string, l: string, c: string) => {
      const source = lookup(Number(l), Number(c));
      return source ? `${before}${source.file}:${source.line}:${source.column}` : whole;
    }),
  );
}

/** The `    at …` lines of a V8 stack, without its header (the error's name and message). */
export function framesOf(stack: string): string[] {
  return stack.split('\n').filter((line) => /^\s+at /.test(line));
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

/**
 * A parsed map takes ~25 times its text in memory and its parse blocks the event loop
 * (~70 ms a MB): larger maps are not used (their errors show bundle positions), and the
 * maps kept together stay under a budget of text.
 */
export const MAX_MAP_BYTES = 4 * 1024 * 1024;
const KEPT_MAP_BYTES = 8 * 1024 * 1024;

interface Kept {
  readonly lookup: Promise<PositionLookup | null>;
  bytes: number;
}

/** Renders the frames of function errors' stacks in source positions, maps loaded from the store on first use. */
export class SourceStacks {
  /** Parsed maps by function version, most recently used last. */
  private readonly maps = new Map<string, Kept>();
  private keptBytes = 0;

  constructor(
    private readonly functions: Pick<FunctionRepo, 'getSourceMap'>,
    private readonly budgetBytes = KEPT_MAP_BYTES,
  ) {}

  /** The `at …` lines of an error thrown by `version`'s code, mapped when its map allows. Never throws. */
  async frames(version: FunctionVersion, stack: string): Promise<string[]> {
    const lookup = await this.lookupFor(version);
    return mappedFrames(stack, bundleFileName(version.functionName), lookup ?? (() => null));
  }

  private lookupFor(version: FunctionVersion): Promise<PositionLookup | null> {
    const key = `${version.functionName}\u0000${version.version}`;
    const hit = this.maps.get(key);
    if (hit) {
      this.maps.delete(key);
      this.maps.set(key, hit);
      return hit.lookup;
    }
    // Errors that arrive together share one read and one parse.
    const kept: { lookup?: Promise<PositionLookup | null>; bytes: number } = { bytes: 0 };
    kept.lookup = this.functions.getSourceMap(version.functionName, version.version).then(
      (json) => {
        if (json === null || json.length > MAX_MAP_BYTES) return null;
        kept.bytes = json.length;
        this.keptBytes += json.length;
        this.evict();
        return sourceMapLookup(json);
      },
      () => {
        this.forget(key, kept as Kept); // the store could not answer now: try again at the next error
        return null;
      },
    );
    this.maps.set(key, kept as Kept);
    return kept.lookup;
  }

  private evict(): void {
    for (const [key, kept] of this.maps) {
      if (this.keptBytes <= this.budgetBytes || this.maps.size <= 1) return;
      this.forget(key, kept);
    }
  }

  private forget(key: string, kept: Kept): void {
    if (this.maps.get(key) !== kept) return;
    this.maps.delete(key);
    this.keptBytes -= kept.bytes;
  }
}
