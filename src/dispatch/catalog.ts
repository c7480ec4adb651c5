/**
 * Which version of each function is current, its aliases, and the code and opened secrets
 * of the versions served: read from the store once and then served from memory, so the hot
 * path does no I/O. Deploys, alias changes and deletes invalidate the entry. The version
 * served carries the effective config: the stored one with the function's live scale
 * override (`nimbus scale`) on top.
 */
import { NimbusError } from '../core/errors.ts';
import type { FunctionAlias, FunctionVersion } from '../core/types.ts';
import { qualifierOf, unqualified } from '../releases/qualifier.ts';
import { noRedaction, redactorFor, type Redactor } from '../releases/redact.ts';
import { pickRoute } from '../releases/split.ts';
import type { AliasRepo, FunctionRepo, ScaleOverride } from '../store/ports.ts';

/** Where aliases come from and how a version's sealed secrets open; without them a catalog knows neither. */
export interface CatalogReleases {
  readonly aliases: AliasRepo;
  /** Opens a version's sealed secrets (releases/secret-box.ts). */
  readonly openSecrets: (functionName: string, sealed: Readonly<Record<string, string>>) => Record<string, string>;
}

/** A version's secrets, opened, and the redactor that hides their values. */
export interface VersionSecrets {
  readonly env: Readonly<Record<string, string>>;
  readonly redact: Redactor;
}

const NO_SECRETS: VersionSecrets = Object.freeze({ env: Object.freeze({}), redact: noRedaction });

/** What serves an invocation: the version, and the alias it came through (null: none). */
export type Target = { readonly deployed: Deployed; readonly alias: string | null };

/** The alias every unqualified call follows when the function has one. */
export const LIVE_ALIAS = 'live';

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
  /** Per function, its aliases by name (an empty map when it has none). */
  private readonly aliases = new Map<string, ReadonlyMap<string, FunctionAlias>>();
  /** The target of an unqualified call without aliases, per entry. */
  private readonly plain = new WeakMap<Deployed, Target>();
  /** Per `name@version`, its opened secrets. */
  private readonly secrets = new Map<string, VersionSecrets>();

  constructor(
    private readonly functions: FunctionRepo,
    private readonly releases?: CatalogReleases,
  ) {}

  /**
   * Without I/O, what serves `qualifier` of `name` (a version number, an alias, `$LATEST`;
   * none: the `live` alias when there is one, else the current version) for invocation `id`:
   * a split alias picks by the id. undefined when something must be read first (resolveTarget).
   */
  route(name: string, qualifier: string | undefined, id: string): Target | NimbusError | undefined {
    const entry = this.current.get(name);
    if (!entry) return undefined;
    // The common call: no qualifier, no live alias. Its target is made once per entry.
    if (qualifier === undefined && this.aliases.get(name)?.get(LIVE_ALIAS) === undefined) return this.plainTarget(entry);
    const choice = this.choose(name, qualifier, id);
    if (choice instanceof NimbusError) return choice;
    if (choice.version === undefined || choice.version === entry.version.version) return { deployed: entry, alias: choice.alias };
    const pinned = this.pinned.get(`${name}@${choice.version}`);
    return pinned ? { deployed: pinned, alias: choice.alias } : undefined;
  }

  /** route(), reading what it needs; null when the function does not exist. */
  async resolveTarget(name: string, qualifier: string | undefined, id: string): Promise<Target | NimbusError | null> {
    const entry = await this.resolve(name);
    if (!entry) return null;
    const choice = this.choose(name, qualifier, id);
    if (choice instanceof NimbusError) return choice;
    if (choice.version === undefined) return { deployed: entry, alias: choice.alias };
    const deployed = await this.resolveVersion(name, choice.version);
    if (!deployed) {
      return new NimbusError('NIMBUS_ERR_VERSION_NOT_FOUND', `function "${name}" has no version ${choice.version}; \`nimbus info ${name}\` lists them`);
    }
    return { deployed, alias: choice.alias };
  }

  /**
   * Why `target` (`name`, or `name@qualifier` as async items and triggers carry it) cannot be
   * served now, as the problem to answer with; null when it can. Checked when the target is
   * accepted, so a qualifier that names nothing is refused then, not retried into the DLQ.
   */
  async targetProblem(target: string): Promise<NimbusError | null> {
    const name = unqualified(target);
    const qualifier = qualifierOf(target);
    let found = this.route(name, qualifier, '') ?? (await this.resolveTarget(name, qualifier, ''));
    if (found instanceof NimbusError && this.releases) {
      // an alias made a moment ago (on another node, say) may not be loaded here yet
      await this.reloadAliases(name);
      found = await this.resolveTarget(name, qualifier, '');
    }
    if (found === null) return new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
    return found instanceof NimbusError ? found : null;
  }

  private plainTarget(entry: Deployed): Target {
    let target = this.plain.get(entry);
    if (!target) this.plain.set(entry, (target = { deployed: entry, alias: null }));
    return target;
  }

  private choose(name: string, qualifier: string | undefined, id: string): { version: number | undefined; alias: string | null } | NimbusError {
    const aliases = this.aliases.get(name);
    if (qualifier === undefined) {
      const live = aliases?.get(LIVE_ALIAS);
      return live ? { version: pickRoute(live.routes, id).version, alias: LIVE_ALIAS } : { version: undefined, alias: null };
    }
    if (qualifier === '$LATEST') return { version: undefined, alias: null };
    if (/^[0-9]{1,9}$/.test(qualifier)) return { version: Number(qualifier), alias: null };
    const alias = aliases?.get(qualifier);
    if (!alias) {
      return new NimbusError('NIMBUS_ERR_ALIAS_NOT_FOUND', `function "${name}" has no alias "${qualifier}"; \`nimbus alias ls ${name}\` lists them`);
    }
    return { version: pickRoute(alias.routes, id).version, alias: qualifier };
  }

  /**
   * Every version a call with `qualifier` may be served by other than through the current
   * entry: a version number, or each route of the alias it names (none: the `live` alias's);
   * empty for `$LATEST`, a function without that alias, or one not resolved yet.
   */
  routeVersions(name: string, qualifier: string | undefined): number[] {
    if (qualifier === '$LATEST') return [];
    if (qualifier !== undefined && /^[0-9]{1,9}$/.test(qualifier)) return [Number(qualifier)];
    const alias = this.aliases.get(name)?.get(qualifier ?? LIVE_ALIAS);
    return alias === undefined ? [] : alias.routes.map((r) => r.version);
  }

  /** A given version when it is loaded (the current one, or one pinned by an alias or a call), without I/O. */
  peekVersion(name: string, version: number): Deployed | undefined {
    const current = this.current.get(name);
    return current?.version.version === version ? current : this.pinned.get(`${name}@${version}`);
  }

  /** The function's aliases as loaded (empty before it is resolved). */
  aliasesOf(name: string): FunctionAlias[] {
    return [...(this.aliases.get(name)?.values() ?? [])];
  }

  /** Versions that receive traffic: the current one and every alias's targets. */
  servedVersions(name: string): number[] {
    const out = new Set<number>();
    const current = this.current.get(name);
    if (current) out.add(current.version.version);
    for (const alias of this.aliases.get(name)?.values() ?? []) for (const r of alias.routes) out.add(r.version);
    return [...out];
  }

  /** Reads the function's aliases again (after a change). */
  async reloadAliases(name: string): Promise<void> {
    if (!this.releases) return;
    const list = await this.releases.aliases.list(name);
    this.aliases.set(name, new Map(list.map((a) => [a.name, a])));
  }

  /** The opened secrets of a version already resolved (pools only exist for resolved versions). */
  secretsFor(version: Pick<FunctionVersion, 'functionName' | 'version'>): VersionSecrets {
    if (this.secrets.size === 0) return NO_SECRETS;
    return this.secrets.get(`${version.functionName}@${version.version}`) ?? NO_SECRETS;
  }

  private async loadSecrets(version: FunctionVersion): Promise<void> {
    if (!this.releases) return;
    const sealed = await this.functions.getSecrets(version.functionName, version.version);
    this.keepSecrets(version, sealed);
  }

  private keepSecrets(version: FunctionVersion, sealed: Readonly<Record<string, string>>): void {
    const key = `${version.functionName}@${version.version}`;
    if (!this.releases || Object.keys(sealed).length === 0) {
      this.secrets.delete(key);
      return;
    }
    const env = Object.freeze(this.releases.openSecrets(version.functionName, sealed));
    this.secrets.set(key, { env, redact: redactorFor(Object.values(env)) });
  }

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

  /** A given version, with the function's live scale override on top (it applies to every version served). */
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
    await this.loadSecrets(stored);
    const scale = current?.scale ?? null;
    const deployed: Deployed = { version: withScale(stored, scale), code, stored, scale };
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

  /** Installs a version as current (after a deploy) without another read; `sealed`: its secrets. */
  install(version: FunctionVersion, code: string, sealed: Readonly<Record<string, string>> = {}): void {
    this.keepSecrets(version, sealed);
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
    for (const [key, pinned] of this.pinned) {
      if (!key.startsWith(name + '@')) continue;
      const base = pinned.stored ?? pinned.version;
      this.pinned.set(key, { version: withScale(base, override), code: pinned.code, stored: base, scale: override });
    }
    return next;
  }

  forget(name: string): void {
    const entry = this.current.get(name);
    this.current.delete(name);
    this.aliases.delete(name);
    for (const key of [...this.secrets.keys()]) if (key.startsWith(name + '@')) this.secrets.delete(key);
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
    await this.loadSecrets(version);
    await this.reloadAliases(name);
    const deployed: Deployed = { version: withScale(version, scale), code, stored: version, scale };
    this.code.set(version.codeHash, code);
    this.current.set(name, deployed);
    return deployed;
  }
}
