/**
 * Releases: aliases moved, split, rolled back; secrets set and removed. An alias change is
 * written to the store, then the catalog reads the function's aliases again (the next
 * request follows it) and versions that no longer get traffic drain and stop. A secret change
 * is a new version: the latest version's code and config with the new set of sealed secrets.
 */
import type { Clock } from '../core/clock.ts';
import { NimbusError } from '../core/errors.ts';
import type { AliasRoute, FunctionAlias } from '../core/types.ts';
import type { Deployer, DeployResult } from '../deploy/deployer.ts';
import { reservedVariable } from '../deploy/function-config.ts';
import type { Catalog } from '../dispatch/catalog.ts';
import type { PoolRegistry } from '../pool/registry.ts';
import type { Store } from '../store/ports.ts';
import { validateAliasName, validateRoutes } from './aliases.ts';
import type { SecretBox } from './secret-box.ts';

export interface ReleasesDeps {
  readonly clock: Clock;
  readonly store: Store;
  readonly catalog: Catalog;
  readonly pools: PoolRegistry;
  readonly deployer: Deployer;
  readonly box: SecretBox;
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_SECRET_BYTES = 64 * 1024;

export class Releases {
  constructor(private readonly deps: ReleasesDeps) {}

  async listAliases(functionName: string): Promise<FunctionAlias[]> {
    await this.mustExist(functionName);
    return this.deps.store.aliases.list(functionName);
  }

  async getAlias(functionName: string, alias: string): Promise<FunctionAlias> {
    await this.mustExist(functionName);
    const found = await this.deps.store.aliases.get(functionName, alias);
    if (!found) throw aliasNotFound(functionName, alias);
    return found;
  }

  /** Points `alias` at `routes` (one version, or two by weight); the routes it had become its previous ones. */
  async setAlias(functionName: string, alias: string, routes: readonly AliasRoute[]): Promise<FunctionAlias> {
    validateAliasName(alias);
    const checked = validateRoutes(routes);
    await this.mustExist(functionName);
    for (const r of checked) {
      if (!(await this.deps.store.functions.getVersion(functionName, r.version))) {
        throw new NimbusError('NIMBUS_ERR_VERSION_NOT_FOUND', `function "${functionName}" has no version ${r.version}; \`nimbus info ${functionName}\` lists them`);
      }
    }
    const saved = await this.deps.store.aliases.set(functionName, alias, checked, this.deps.clock.now());
    if (!saved) throw fnNotFound(functionName);
    await this.applied(functionName);
    return saved;
  }

  /** The alias back at what it pointed at before its last change (twice: forward again). */
  async rollback(functionName: string, alias: string): Promise<FunctionAlias> {
    const current = await this.getAlias(functionName, alias);
    if (!current.previous) {
      throw new NimbusError('NIMBUS_ERR_STATE_CONFLICT', `alias "${alias}" of ${functionName} has never been moved: there is nothing to roll back to`);
    }
    return this.setAlias(functionName, alias, current.previous);
  }

  async deleteAlias(functionName: string, alias: string): Promise<void> {
    await this.mustExist(functionName);
    if (!(await this.deps.store.aliases.delete(functionName, alias))) throw aliasNotFound(functionName, alias);
    await this.applied(functionName);
  }

  /** Names of the latest version's secrets, sorted; never their values. */
  async secretNames(functionName: string): Promise<{ version: number; names: string[] }> {
    const info = await this.mustExist(functionName);
    const sealed = await this.deps.store.functions.getSecrets(functionName, info.currentVersion);
    return { version: info.currentVersion, names: Object.keys(sealed).sort() };
  }

  /** A new version with the secret set (or replaced). */
  async setSecret(functionName: string, name: string, value: string): Promise<DeployResult> {
    if (!SECRET_NAME.test(name)) {
      throw new NimbusError('NIMBUS_ERR_VALIDATION', `secret name ${JSON.stringify(name)} is invalid: use letters, digits and "_", not starting with a digit`, { extra: { field: 'name' } });
    }
    if (value.length === 0 || Buffer.byteLength(value) > MAX_SECRET_BYTES) {
      throw new NimbusError('NIMBUS_ERR_VALIDATION', `the value of a secret must be 1 to ${MAX_SECRET_BYTES} bytes`, { extra: { field: 'value' } });
    }
    const info = await this.mustExist(functionName);
    // The platform's own entries of the env would silently win over the secret.
    const latest = await this.deps.store.functions.getVersion(functionName, info.currentVersion);
    const reserved = reservedVariable(name, latest?.config.runtime ?? 'isolate');
    if (reserved !== undefined) {
      throw new NimbusError('NIMBUS_ERR_VALIDATION', `secret name ${JSON.stringify(name)} ${reserved}`, { extra: { field: 'name' } });
    }
    const sealed = this.deps.box.seal(functionName, name, value);
    return this.redeploy(functionName, (secrets) => ({ ...secrets, [name]: sealed }));
  }

  /** A new version without the secret. */
  async removeSecret(functionName: string, name: string): Promise<DeployResult> {
    await this.mustExist(functionName);
    return this.redeploy(functionName, (secrets) => {
      if (!(name in secrets)) {
        throw new NimbusError('NIMBUS_ERR_SECRET_NOT_FOUND', `function "${functionName}" has no secret ${name}; \`nimbus secrets ls ${functionName}\` lists them`);
      }
      const { [name]: _gone, ...rest } = secrets;
      return rest;
    });
  }

  /**
   * The latest version's code and config again, with its secrets changed by `change`: the
   * next version. Read and written in the deployer's turn for the function, so concurrent
   * secret changes and deploys all end up in the latest version.
   */
  private async redeploy(functionName: string, change: (secrets: Record<string, string>) => Record<string, string>): Promise<DeployResult> {
    return this.deps.deployer.redeploy(functionName, async (current) => {
      const stored = current.stored ?? current.version;
      const secrets = change(await this.deps.store.functions.getSecrets(functionName, stored.version));
      if (stored.config.runtime === 'app') {
        // An app's code is its files as stored (runtime/process/app-archive.ts): sent again as an app's files, it packs the same.
        return { source: { kind: 'app', app: JSON.parse(current.code) as unknown }, secrets };
      }
      const sourceMap = await this.deps.store.functions.getSourceMap(functionName, stored.version);
      return { source: { kind: 'bundle', code: current.code, ...(sourceMap === null ? {} : { sourceMap }) }, secrets };
    });
  }

  /**
   * The catalog follows the change; versions no longer served drain and stop, min instances
   * and all; versions now served start their min instances before their first request.
   */
  private async applied(functionName: string): Promise<void> {
    const { catalog, pools } = this.deps;
    await catalog.resolve(functionName);
    await catalog.reloadAliases(functionName);
    const served = catalog.servedVersions(functionName);
    pools.retireOtherVersions(functionName, served);
    for (const version of served) {
      const deployed = await catalog.resolveVersion(functionName, version);
      if (deployed && !pools.peek(deployed.version)) pools.warm(deployed.version);
    }
  }

  private async mustExist(functionName: string) {
    const info = await this.deps.store.functions.get(functionName);
    if (!info) throw fnNotFound(functionName);
    return info;
  }
}

function fnNotFound(name: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
}

function aliasNotFound(functionName: string, alias: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_ALIAS_NOT_FOUND', `function "${functionName}" has no alias "${alias}"; \`nimbus alias ls ${functionName}\` lists them`);
}
