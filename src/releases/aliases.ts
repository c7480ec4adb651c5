/**
 * Alias names and routes as users write them: `live`, `3`, `3=90 4=10`. Pure: checked here,
 * stored by the AliasRepo, followed by the catalog (dispatch/catalog.ts).
 */
import { NimbusError } from '../core/errors.ts';
import type { AliasRoute } from '../core/types.ts';

/** Letters first (a name of digits would read as a version), then letters, digits, - and _. */
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export function validateAliasName(name: unknown): string {
  if (typeof name !== 'string' || !ALIAS_NAME.test(name) || name === '$LATEST') {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `alias name ${JSON.stringify(name)} is invalid: use 1-64 letters, digits, "-" or "_", starting with a letter`, {
      extra: { field: 'alias' },
    });
  }
  return name;
}

/** Routes as stored: one version at 100, or two distinct versions whose whole-percent weights sum to 100. */
export function validateRoutes(routes: readonly AliasRoute[]): AliasRoute[] {
  const bad = (why: string) => new NimbusError('NIMBUS_ERR_VALIDATION', `routes: ${why}`, { extra: { field: 'routes' } });
  if (routes.length < 1 || routes.length > 2) throw bad('give one version, or two with weights (3=90 4=10)');
  for (const r of routes) {
    if (!Number.isInteger(r.version) || r.version < 1) throw bad(`version ${JSON.stringify(r.version)} is not a version number`);
    if (!Number.isInteger(r.weight) || r.weight < 0 || r.weight > 100) throw bad(`weight ${JSON.stringify(r.weight)} of version ${r.version} is not a whole percent (0-100)`);
  }
  if (routes.length === 2 && routes[0].version === routes[1].version) throw bad(`version ${routes[0].version} is given twice`);
  const sum = routes.reduce((n, r) => n + r.weight, 0);
  if (sum !== 100) throw bad(`weights sum to ${sum}, not 100`);
  return routes.map((r) => ({ version: r.version, weight: r.weight }));
}

/** `3` or `3=90 4=10` (the CLI's words) as routes; a lone version takes all the traffic. */
export function parseRoutes(words: readonly string[]): AliasRoute[] {
  const routes = words.map((w) => {
    const m = /^([0-9]+)(?:=([0-9]+)%?)?$/.exec(w);
    if (!m) throw new NimbusError('NIMBUS_ERR_VALIDATION', `"${w}" is not a version or version=weight (3, or 3=90 4=10)`, { extra: { field: 'routes' } });
    return { version: Number(m[1]), weight: m[2] === undefined ? (words.length === 1 ? 100 : NaN) : Number(m[2]) };
  });
  return validateRoutes(routes);
}

/** `3` or `3=90% 4=10%`, for display. */
export function formatRoutes(routes: readonly AliasRoute[]): string {
  return routes.length === 1 ? String(routes[0].version) : routes.map((r) => `${r.version}=${r.weight}%`).join(' ');
}
