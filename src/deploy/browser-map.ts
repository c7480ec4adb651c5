/** Reading packages' `browser` fields and export conditions, for node-build-choice.ts. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * `(importer, specifier) → true` when the package.json nearest to `importer` (a path relative
 * to `cwd`, as esbuild's metafile gives it) maps that bare specifier in its `browser` field.
 */
export function bareMappedBy(cwd: string): (importer: string, specifier: string) => boolean {
  const maps = new Map<string, Readonly<Record<string, unknown>> | null>();
  const mapAt = (dir: string): Readonly<Record<string, unknown>> | null => {
    let found = maps.get(dir);
    if (found !== undefined) return found;
    let text: string | null = null;
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8');
    } catch {
      const up = dirname(dir);
      found = up === dir ? null : mapAt(up);
    }
    if (text !== null) {
      try {
        const browser = (JSON.parse(text) as { browser?: unknown }).browser;
        found = typeof browser === 'object' && browser !== null && !Array.isArray(browser) ? (browser as Record<string, unknown>) : null;
      } catch {
        found = null;
      }
    }
    maps.set(dir, found ?? null);
    return found ?? null;
  };
  return (importer, specifier) => {
    const map = mapAt(dirname(resolve(cwd, importer)));
    return map !== null && Object.prototype.hasOwnProperty.call(map, specifier);
  };
}

const EDGE_CONDITION = /"(browser|worker|workerd)"\s*:/;

/**
 * `root → true` when the package in that directory has a build for browsers or edge runtimes
 * of its own (a `browser` field, or those conditions in `exports`), so its Node build is other files.
 */
export function hasEdgeBuildBy(cwd: string): (root: string) => boolean {
  const seen = new Map<string, boolean>();
  return (root) => {
    const dir = resolve(cwd, root);
    let found = seen.get(dir);
    if (found === undefined) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { browser?: unknown; exports?: unknown };
        found = pkg.browser !== undefined || EDGE_CONDITION.test(JSON.stringify(pkg.exports ?? null));
      } catch {
        found = false;
      }
      seen.set(dir, found);
    }
    return found;
  };
}
