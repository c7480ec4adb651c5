/**
 * The deploy pipeline: bundle → hash → (unchanged? stop) → inspect in a throwaway
 * instance → store a new immutable version → make it current → retire old pools.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { isNimbusError, NimbusError } from '../core/errors.ts';
import type { FunctionConfig, FunctionVersion } from '../core/types.ts';
import type { Catalog, Deployed } from '../dispatch/catalog.ts';
import type { PoolRegistry } from '../pool/registry.ts';
import type { Runtime } from '../runtime/port.ts';
import type { Store } from '../store/ports.ts';
import { sourceMapLookup, type SourcePosition } from '../dispatch/source-stacks.ts';
import { bundlePath, bundleSource, bundleTree, type BuildOutput, type BundleTarget } from './bundle.ts';
import { packApp } from '../runtime/process/app-archive.ts';
import { isNodePack, packNodeFunction } from '../runtime/process/node-pack.ts';
import { canonicalConfig, resolveConfig, validateName, type PlatformDefaults } from './function-config.ts';

export type DeploySource =
  | { readonly kind: 'files'; readonly files: Readonly<Record<string, string>>; readonly entry: string }
  | { readonly kind: 'path'; readonly path: string }
  /** A tree of files (a Lambda zip's) bundled from a private directory: its node_modules resolve, nothing outside it loads. */
  | { readonly kind: 'tree'; readonly files: ReadonlyMap<string, Buffer>; readonly entry: string }
  /**
   * Already bundled by the CLI into the IIFE format of bundle.ts, with its source map when it
   * made one, and (node runtime) the packages it left out as files (`{files, executable}`).
   */
  | { readonly kind: 'bundle'; readonly code: string; readonly sourceMap?: string; readonly packages?: unknown }
  /** An app's directory (runtime "app"): its files, stored as they are. */
  | { readonly kind: 'app'; readonly app: unknown };

export interface DeployRequest {
  readonly name: string;
  readonly source: DeploySource;
  readonly config?: unknown;
  /** The version's sealed secrets (a `secrets set`); absent: the latest version's. */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface DeployResult {
  readonly version: FunctionVersion;
  readonly created: boolean;
  readonly warnings: readonly string[];
}

export interface DeployerDeps {
  readonly clock: Clock;
  readonly store: Store;
  readonly runtime: Runtime;
  readonly catalog: Catalog;
  readonly pools: PoolRegistry;
  readonly defaults: PlatformDefaults;
  readonly maxCodeBytes: number;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * What makes a version itself. The map is part of it: the same bundle from sources laid out
 * differently (a comment line added) maps its errors to other lines. So are its secrets,
 * sealed: setting one makes a new version, and rollback brings the old value back.
 */
export function versionHash(codeHash: string, sourceMap: string | null, config: FunctionConfig, secrets: Readonly<Record<string, string>>): string {
  const names = Object.keys(secrets).sort();
  const sealed = names.length === 0 ? '' : '\n' + sha256(names.map((n) => `${n}=${secrets[n]}`).join('\n'));
  return sha256(codeHash + (sourceMap === null ? '' : '\n' + sha256(sourceMap)) + '\n' + canonicalConfig(config) + sealed);
}

export class Deployer {
  /** Per function, the end of the deploys under way on this node (see serially). */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: DeployerDeps) {}

  async deploy(req: DeployRequest): Promise<DeployResult> {
    const name = validateName(req.name);
    return this.serially(name, () => this.deployNow(name, req));
  }

  /**
   * A new version made from the latest by `change` (the same code with other secrets), in
   * the same turn as deploys: a deploy or another change finishing meanwhile is not undone.
   */
  async redeploy(name: string, change: (latest: Deployed) => Promise<Omit<DeployRequest, 'name'>>): Promise<DeployResult> {
    return this.serially(validateName(name), async () => {
      const latest = await this.deps.catalog.resolve(name);
      if (!latest) throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
      return this.deployNow(name, { name, ...(await change(latest)) });
    });
  }

  /**
   * Other work that reads the latest version and writes what a deploy carries over (a live
   * scale change), in the function's turn: a deploy under way does not clear it unseen.
   */
  inTurn<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.serially(name, work);
  }

  /**
   * Deploys of one function on this node run one at a time: each starts from the version the
   * one before made, so the secrets and settings a deploy carries over from the latest
   * version are never those of a version about to be replaced.
   */
  private serially<T>(name: string, work: () => Promise<T>): Promise<T> {
    const run = (this.turns.get(name) ?? Promise.resolve()).then(work);
    const settled = run.then(
      () => {},
      () => {},
    );
    this.turns.set(name, settled);
    void settled.then(() => {
      if (this.turns.get(name) === settled) this.turns.delete(name);
    });
    return run;
  }

  private async deployNow(name: string, req: DeployRequest): Promise<DeployResult> {
    const previous = await this.deps.catalog.resolve(name);
    const config = resolveConfig(req.config, previous?.version.config ?? null, this.deps.defaults);
    const built = await this.build(req.source, config.runtime === 'node' ? 'node' : 'isolate');
    const bytes = Buffer.byteLength(built.code);
    if (bytes > this.deps.maxCodeBytes) {
      const what = isNodePack(built.code) ? 'bundle with the packages shipped as files (base64)' : 'bundle';
      throw new NimbusError('NIMBUS_ERR_PAYLOAD_TOO_LARGE', `the ${what} of ${name} is ${bytes} bytes; the limit is ${this.deps.maxCodeBytes} (--api-body-limit)`, {
        extra: { limit: this.deps.maxCodeBytes },
      });
    }
    if (isNodePack(built.code) && config.runtime !== 'node') {
      throw new NimbusError('NIMBUS_ERR_VALIDATION', 'source.packages (packages shipped as files beside the bundle) are for runtime "node"', { extra: { field: 'source.packages' } });
    }
    const { sourceMap, warnings: buildWarnings } = this.keepableMap(built);
    // Bundled here (a Lambda zip, an example's directory): the caller learns of Node builds from the warnings.
    const warnings = [...buildWarnings, ...(built.nodeBuilds ?? []).map((c) => `package "${c.package}" is bundled from its Node build: ${c.why}`)];
    if ((req.source.kind === 'app') !== (config.runtime === 'app')) {
      throw new NimbusError(
        'NIMBUS_ERR_VALIDATION',
        config.runtime === 'app'
          ? `${name} has runtime "app": deploy a directory of files (source.app) with a start command`
          : `source.app is the files of an app: set config.runtime to "app" and app.command (nimbus deploy ${name} <dir> --runtime app --cmd "…")`,
        { extra: { field: 'config.runtime' } },
      );
    }
    // Secrets are part of a release: a deploy keeps the latest version's, unless it brings its own set.
    const secrets = req.secrets ?? (previous ? await this.deps.store.functions.getSecrets(name, previous.version.version) : {});
    const codeHash = sha256(built.code);
    const hash = versionHash(codeHash, sourceMap, config, secrets);
    if (previous && previous.version.hash === hash) {
      return { version: previous.version, created: false, warnings };
    }
    const exports = await this.deps.runtime.inspect(built.code, config, name).catch((error: unknown) => {
      // The deploy's check ran the module and its top level failed: the code as sent cannot
      // serve, so the deploy is refused as the caller's to fix (400), not as a platform fault.
      if (isNimbusError(error) && error.code === 'NIMBUS_ERR_FUNCTION_INIT') {
        const at = sourcePosition(sourceMap, error.extra);
        throw new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', `${name}: ${error.message}${at ? ` (${at.file}:${at.line}:${at.column})` : ''}`, {
          extra: { ...error.extra, ...(at ? { source: at } : {}) },
        });
      }
      throw error;
    });
    if (!exports.fetch && !exports.handler) {
      throw new NimbusError(
        'NIMBUS_ERR_INVALID_FUNCTION',
        `${name} exports neither a default object with fetch(request, env, ctx) nor handler(event, context); export one of them`,
      );
    }
    const outcome = await this.deps.store.functions.deploy({ name, hash, codeHash, code: built.code, sourceMap, config, exports, now: this.deps.clock.now(), secrets });
    const current = this.deps.catalog.peek(name);
    // Concurrent deploys may finish out of order; the highest version is current.
    if (!current || current.version.version <= outcome.version.version) {
      this.deps.catalog.install(outcome.version, built.code, secrets);
      this.deps.pools.retireOtherVersions(name, this.deps.catalog.servedVersions(name));
      this.deps.pools.warm(outcome.version);
    }
    return { version: outcome.version, created: outcome.created, warnings };
  }

  /**
   * The build's source map if it can be kept: one larger than the code limit is dropped with
   * a warning (the function still deploys; its errors then show bundle positions).
   */
  private keepableMap(built: BuildOutput): { sourceMap: string | null; warnings: readonly string[] } {
    const map = built.sourceMap;
    if (map === null || Buffer.byteLength(map) <= this.deps.maxCodeBytes) return { sourceMap: map, warnings: built.warnings };
    return {
      sourceMap: null,
      warnings: [...built.warnings, `the source map (${Buffer.byteLength(map)} bytes) is over the ${this.deps.maxCodeBytes}-byte code limit and was not kept: errors will show bundle positions`],
    };
  }

  async remove(name: string): Promise<boolean> {
    const removed = await this.deps.store.functions.delete(name);
    this.deps.catalog.forget(name);
    await this.deps.pools.removeFunction(name);
    if (removed) await this.keepStoredCode();
    return removed;
  }

  /** Tells the runtime which code the store still has, so it frees what it prepared for the rest (unpacked apps). */
  async keepStoredCode(): Promise<void> {
    const runtime = this.deps.runtime;
    if (runtime.keepCode === undefined) return;
    const { functions } = this.deps.store;
    const hashes = new Set<string>();
    for (const f of await functions.list()) for (const v of await functions.listVersions(f.name)) hashes.add(v.codeHash);
    runtime.keepCode(hashes);
  }

  private async build(source: DeploySource, target: BundleTarget): Promise<BuildOutput> {
    switch (source.kind) {
      case 'files':
        return bundleSource(source.files, source.entry, target);
      case 'path':
        return withShipped(await bundlePath(source.path, target));
      case 'tree':
        return withShipped(await bundleTree(source.files, source.entry, target));
      case 'bundle': {
        const code = source.packages === undefined ? source.code : packNodeFunction(source.code, source.packages);
        return { code, sourceMap: source.sourceMap === undefined ? null : checkedSourceMap(source.sourceMap), warnings: [] };
      }
      case 'app':
        return { code: packApp(source.app), sourceMap: null, warnings: [] };
    }
  }
}

/** A node build's code with the packages it left out as files (deploy/native-packages.ts), as stored. */
function withShipped(built: BuildOutput): BuildOutput {
  if (built.shipped === undefined) return built;
  const { files, executable, packages } = built.shipped;
  const shipped = `shipped as files beside the bundle (native addons): ${packages.map((p) => p.name).join(', ')}`;
  return { ...built, code: packNodeFunction(built.code, { files, executable }), warnings: [...built.warnings, shipped] };
}

/** A source map sent with a bundle must at least be one (v3, with mappings). */
function checkedSourceMap(text: string): string {
  let map: { version?: unknown; mappings?: unknown; sources?: unknown };
  try {
    map = JSON.parse(text) as typeof map;
  } catch (error) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `source.sourceMap is not JSON: ${(error as Error).message}`, { extra: { field: 'source.sourceMap' } });
  }
  if (map === null || typeof map !== 'object' || map.version !== 3 || typeof map.mappings !== 'string' || !Array.isArray(map.sources)) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', 'source.sourceMap is not a version 3 source map (version, sources, mappings)', {
      extra: { field: 'source.sourceMap' },
    });
  }
  return text;
}

/** Where in the sources a bundle line:column of an init error came from, when the map knows. */
function sourcePosition(sourceMap: string | null, extra: Readonly<Record<string, unknown>>): SourcePosition | null {
  const { line, column } = extra;
  if (sourceMap === null || typeof line !== 'number' || typeof column !== 'number') return null;
  return sourceMapLookup(sourceMap)?.(line, column) ?? null;
}
