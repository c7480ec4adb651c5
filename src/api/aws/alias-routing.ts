/**
 * Lambda's alias routing ↔ a Nimbus alias's routes (releases/aliases.ts). Lambda names a
 * primary `FunctionVersion` and `RoutingConfig.AdditionalVersionWeights` ({version: fraction});
 * the primary gets 1 − the extra weight. Nimbus stores one version, or two whose whole-percent
 * weights sum to 100, primary first. What Nimbus cannot express is refused, never rounded. Pure.
 */
import { createHash } from 'node:crypto';
import type { AliasRoute, FunctionAlias } from '../../core/types.ts';
import { awsErr } from './errors.ts';

/** A Lambda version number as Lambda writes it ("3"); `$LATEST` is refused (a Nimbus alias points at a fixed version). */
export function aliasVersionOf(raw: unknown, field: string): number {
  if (raw === '$LATEST') {
    throw awsErr.invalidParameter(`${field}: an alias cannot point at $LATEST in Nimbus (it points at a fixed version): publish a version (PublishVersion) and give its number`);
  }
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,8}$/.test(raw)) throw awsErr.invalidParameter(`${field} must be a version number such as "3", not ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Routes for a primary version and Lambda's AdditionalVersionWeights (absent or {}: the primary alone). */
export function routesOf(primary: number, weights: unknown): AliasRoute[] {
  if (weights === undefined || weights === null) return [{ version: primary, weight: 100 }];
  if (typeof weights !== 'object' || Array.isArray(weights)) throw awsErr.invalidParameter('RoutingConfig.AdditionalVersionWeights must be a map of version to weight');
  const entries = Object.entries(weights as Record<string, unknown>);
  if (entries.length === 0) return [{ version: primary, weight: 100 }];
  if (entries.length > 1) {
    throw awsErr.invalidParameter(`RoutingConfig.AdditionalVersionWeights names ${entries.length} versions: Nimbus routes an alias to at most two versions (the primary and one additional version)`);
  }
  const [rawVersion, rawWeight] = entries[0];
  const extra = aliasVersionOf(rawVersion, 'RoutingConfig.AdditionalVersionWeights');
  if (extra === primary) throw awsErr.invalidParameter(`RoutingConfig.AdditionalVersionWeights: version ${extra} is already the alias's FunctionVersion`);
  if (typeof rawWeight !== 'number' || !Number.isFinite(rawWeight) || rawWeight < 0 || rawWeight > 1) {
    throw awsErr.invalidParameter(`RoutingConfig.AdditionalVersionWeights: the weight of version ${extra} must be a number from 0.0 to 1.0`);
  }
  const percent = Math.round(rawWeight * 100);
  if (Math.abs(rawWeight * 100 - percent) > 1e-6) {
    throw awsErr.invalidParameter(`RoutingConfig.AdditionalVersionWeights: Nimbus splits traffic in whole percent, so the weight of version ${extra} must be a multiple of 0.01, not ${rawWeight}`);
  }
  return [
    { version: primary, weight: 100 - percent },
    { version: extra, weight: percent },
  ];
}

/** Lambda's view of routes: the first is the primary; the second, if any, its additional version. */
export function routingOf(routes: readonly AliasRoute[]): { FunctionVersion: string; RoutingConfig?: { AdditionalVersionWeights: Record<string, number> } } {
  const [primary, ...rest] = routes;
  if (rest.length === 0) return { FunctionVersion: String(primary.version) };
  return { FunctionVersion: String(primary.version), RoutingConfig: { AdditionalVersionWeights: Object.fromEntries(rest.map((r) => [String(r.version), r.weight / 100])) } };
}

/** A UUID-shaped id of the alias's state (routes and when they were set): changes with every update. */
export function aliasRevisionId(alias: FunctionAlias): string {
  const h = createHash('sha256').update(JSON.stringify([alias.functionName, alias.name, alias.routes, alias.updatedAt])).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
