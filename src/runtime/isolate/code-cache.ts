/**
 * V8 code caches of function bundles, kept by the runtime between instance starts so a new
 * instance compiles nothing (see docs/runtime.md, "Cold starts").
 */
/** Cached data is held outside V8's heap (an isolated-vm ExternalCopy): released when dropped. */
export interface Releasable {
  release(): void;
}

export interface CodeCache<D extends Releasable = Releasable> {
  /** The cached data for this bundle when it was compiled under this file name. */
  get(filename: string, code: string): D | undefined;
  set(filename: string, code: string, data: D): void;
  delete(filename: string, code: string): void;
}

/**
 * V8's code cache, by bundle text and then by the file name it was compiled under: a script
 * made from the cache keeps that name in its stack traces, so an entry serves only its own
 * name, and two functions deployed with the same code keep one entry each. Least recently
 * used bundles go first when there are more than `max` entries.
 */
export function createCodeCache<D extends Releasable>(max: number): CodeCache<D> {
  const byCode = new Map<string, Map<string, D>>();
  let entries = 0;
  const drop = (code: string, filename: string) => {
    const names = byCode.get(code);
    const data = names?.get(filename);
    if (names === undefined || data === undefined) return;
    data.release();
    names.delete(filename);
    entries--;
    if (names.size === 0) byCode.delete(code);
  };
  return {
    get(filename, code) {
      const names = byCode.get(code);
      const hit = names?.get(filename);
      if (names === undefined || hit === undefined) return undefined;
      byCode.delete(code);
      byCode.set(code, names);
      return hit;
    },
    set(filename, code, data) {
      drop(code, filename);
      const names = byCode.get(code) ?? new Map<string, D>();
      names.set(filename, data);
      entries++;
      byCode.delete(code);
      byCode.set(code, names);
      while (entries > max) {
        const [oldest, oldNames] = byCode.entries().next().value as [string, Map<string, D>];
        drop(oldest, oldNames.keys().next().value as string);
      }
    },
    delete(filename, code) {
      drop(code, filename);
    },
  };
}
