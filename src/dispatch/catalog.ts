/**
 * Which version of each function is current, and its code: read from the store once
 * and then served from memory, so the hot path does no I/O. Deploys and deletes
 * invalidate the entry. The version served carries the effective config: the stored
 * one with the function's live scale override (`nimbus scale`) on top.
 */
import type { FunctionVersion } from '../core/types.ts';
import type { FunctionRepo, ScaleOverride } from '../store/ports.ts';

export interface Deployed {
  /** The current version with its effective config (scale override applied). */
  readonly version: FunctionVersion;
  readonly code: string;
  /** The version as stored, without the override. */
  readonly stored?: FunctionVersion;
  readonly scale?: ScaleOverride | null;
}

/**
 * The version with `override` on top of its config. Its hash is marked so that no deploy
 * counts as identical to it: a deploy then always reaches the store, which clears the override.
 */
export function withScale(version: FunctionVersion, override: ScaleOverride | null | undefined): FunctionVersion {
  if (!override || Object.keys(override).length === 0) return version;
  const defined = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined && v !== null));
  return Object.freeze({ ...version, hash: `${version.hash}+scale`, config: Object.freeze({ ...version.config, ...defined }) });
}

export class Catalog {
  private readonly current = new Map<string, Deployed>();
  private readonly code = new Map<string, string>();
  private readonly loading = new Map<string, Promise<Deployed | null>>();
  /** Versions asked for by number (workflow Task qualifiers); immutable, so cached for good. */
  private readonly pinned = new Map<string, Deployed>();

  constructor(private readonly functions: FunctionRepo) {}

  /** The cached entry, without I/O; undefined when not loaded yet. */
  peek(name: string): Deployed | undefined {
    return this.current.get(name);
  }

  async resolve(name: string): Promise<Deployed | null> {
    const hit = this.current.get(name);
    if (hit) return hit;
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.load(name).finally(() => this.loading.delete(name));
      this.loading.set(name, pending);
    }
    return pending;
  }

  /** A given version, as stored (a live scale override applies to the current version only). */
  async resolveVersion(name: string, version: number): Promise<Deployed | null> {
    const current = await this.resolve(name);
    if (current && current.version.version === version) return current;
    const key = `${name}@${version}`;
    const hit = this.pinned.get(key);
    if (hit) return hit;
    const stored = await this.functions.getVersion(name, version);
    if (!stored) return null;
    const code = await this.functions.getCode(stored.codeHash);
    if (code === null) return null;
    const deployed: Deployed = { version: stored, code, stored, scale: null };
    this.code.set(stored.codeHash, code);
    this.pinned.set(key, deployed);
    return deployed;
  }

  /** Code of a version already resolved (pools only exist for resolved versions). */
  codeFor(version: FunctionVersion): string {
    const code = this.code.get(version.codeHash);
    if (code === undefined) throw new Error(`code ${version.codeHash} of ${version.functionName} is not loaded`);
    return code;
  }

  /** Installs a version as current (after a deploy) without another read. */
  install(version: FunctionVersion, code: string): void {
    this.code.set(version.codeHash, code);
    this.current.set(version.functionName, { version, code, stored: version, scale: null });
  }

  /** Puts a new live scale override on the current version; returns the new entry (null: no such function). */
  async applyScale(name: string, override: ScaleOverride | null): Promise<Deployed | null> {
    const entry = await this.resolve(name);
    if (!entry) return null;
    const stored = entry.stored ?? entry.version;
    const next: Deployed = { version: withScale(stored, override), code: entry.code, stored, scale: override };
    if (this.current.get(name) === entry) this.current.set(name, next);
    return next;
  }

  forget(name: string): void {
    const entry = this.current.get(name);
    this.current.delete(name);
    for (const key of [...this.pinned.keys()]) if (key.startsWith(name + '@')) this.pinned.delete(key);
    if (entry && ![...this.current.values()].some((d) => d.version.codeHash === entry.version.codeHash)) {
      // Old pools still running this code keep their own reference through their specs.
      this.code.delete(entry.version.codeHash);
    }
  }

  private async load(name: string): Promise<Deployed | null> {
    const info = await this.functions.get(name);
    if (!info) return null;
    const version = await this.functions.getVersion(name, info.currentVersion);
    if (!version) return null;
    const code = await this.functions.getCode(version.codeHash);
    if (code === null) return null;
    const scale = await this.functions.getScale(name);
    const deployed: Deployed = { version: withScale(version, scale), code, stored: version, scale };
    this.code.set(version.codeHash, code);
    this.current.set(name, deployed);
    return deployed;
  }
}
