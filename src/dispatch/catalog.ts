/**
 * Which version of each function is current, and its code: read from the store once
 * and then served from memory, so the hot path does no I/O. Deploys and deletes
 * invalidate the entry.
 */
import type { FunctionVersion } from '../core/types.ts';
import type { FunctionRepo } from '../store/ports.ts';

export interface Deployed {
  readonly version: FunctionVersion;
  readonly code: string;
}

export class Catalog {
  private readonly current = new Map<string, Deployed>();
  private readonly code = new Map<string, string>();
  private readonly loading = new Map<string, Promise<Deployed | null>>();

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

  /** Code of a version already resolved (pools only exist for resolved versions). */
  codeFor(version: FunctionVersion): string {
    const code = this.code.get(version.codeHash);
    if (code === undefined) throw new Error(`code ${version.codeHash} of ${version.functionName} is not loaded`);
    return code;
  }

  /** Installs a version as current (after a deploy) without another read. */
  install(version: FunctionVersion, code: string): void {
    this.code.set(version.codeHash, code);
    this.current.set(version.functionName, { version, code });
  }

  forget(name: string): void {
    const entry = this.current.get(name);
    this.current.delete(name);
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
    const deployed = { version, code };
    this.code.set(version.codeHash, code);
    this.current.set(name, deployed);
    return deployed;
  }
}
