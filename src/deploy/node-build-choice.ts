/**
 * Which packages are bundled from their Node build (node-build.ts) rather than their browser
 * build, decided per package from what a build found:
 *
 * 1. Packages the deployer lists (`nodeBuild` in nimbus.json, `--node-build`) always are; a
 *    built-in Nimbus does not provide, imported by such a package's own files, fails the
 *    deploy (node-layer.ts), as an unresolved import does.
 * 2. A package whose browser build fails is, on trial: one of its files imports something that
 *    does not resolve; it imports a built-in Nimbus does not provide; or its `browser` map
 *    leaves out (maps to `false`) a module the code then needs: its entry or another file
 *    imported from outside the package, or a module its own files import with a static
 *    `import` (whose bindings are then undefined). A `require()` or `import()` of a module
 *    the package's own map leaves out is taken as a path its browser build does not take,
 *    as the map says, and so is any import of a built-in its own map leaves out. Only a
 *    package with a build for browsers (a `browser` field, or `browser`/`worker`/`workerd`
 *    export conditions) has a Node build to try: for the others both are the same files.
 * 3. The trial is the next build (node-build-rounds.ts): a package on trial whose Node build has one of those
 *    problems (an import that does not resolve, a built-in Nimbus does not provide) goes back
 *    to its browser build for good, and the deploy says why.
 *
 * Each package goes on trial at most once and back at most once, so the builds settle.
 */
import type { Message, Metafile } from 'esbuild';
import { isBuiltin } from 'node:module';
import { NimbusError } from '../core/errors.ts';
import { packageOf, packageRootOf } from './node-layer.ts';

/** What a build found wrong with a package's code as bundled. */
export interface PackageProblem {
  readonly package: string;
  /** The package's directory (as the build named its files: relative to its working directory, or absolute). */
  readonly root: string;
  readonly why: string;
}

/** A package bundled from its Node build, and why (shown at deploy, and in `--json`). */
export interface NodeBuildChoice {
  readonly package: string;
  readonly why: string;
}

export interface NodeBuildState {
  /** Listed by the deployer. */
  readonly asked: ReadonlySet<string>;
  /** On trial: package → why its browser build fails. */
  readonly trial: ReadonlyMap<string, string>;
  /** Back on their browser build: package → why neither build works. */
  readonly refused: ReadonlyMap<string, string>;
}

const ASKED_WHY = 'listed in nodeBuild';

export function firstState(asked: Iterable<string>): NodeBuildState {
  return { asked: new Set(asked), trial: new Map(), refused: new Map() };
}

/** Package → true when the deployer listed it, for the packages a build takes from their Node build. */
export function nodeBuildsOf(state: NodeBuildState): ReadonlyMap<string, boolean> {
  return new Map([...[...state.trial.keys()].map((p) => [p, false] as const), ...[...state.asked].map((p) => [p, true] as const)]);
}

/** The state after a build that found `problems`; null when nothing changes (the build stands). */
export function nextState(state: NodeBuildState, problems: readonly PackageProblem[]): NodeBuildState | null {
  const trial = new Map(state.trial);
  const refused = new Map(state.refused);
  let changed = false;
  for (const { package: pkg, why } of problems) {
    if (state.asked.has(pkg) || refused.has(pkg)) continue;
    const browserWhy = state.trial.get(pkg);
    if (browserWhy !== undefined) {
      trial.delete(pkg);
      refused.set(pkg, `${browserWhy}; its Node build does not work either: ${why}`);
      changed = true;
    } else if (!trial.has(pkg)) {
      trial.set(pkg, why);
      changed = true;
    }
  }
  return changed ? { asked: state.asked, trial, refused } : null;
}

/** What a settled state tells the deployer: the packages taken from their Node build, and notes on those that could not be. */
export function outcome(state: NodeBuildState, bundled: ReadonlySet<string>): { choices: NodeBuildChoice[]; warnings: string[] } {
  const choices: NodeBuildChoice[] = [];
  const warnings: string[] = [];
  for (const pkg of [...state.asked].sort()) {
    if (bundled.has(pkg)) choices.push({ package: pkg, why: ASKED_WHY });
    else warnings.push(`nodeBuild lists "${pkg}", which the function does not import`);
  }
  for (const [pkg, why] of [...state.trial].sort(byKey)) choices.push({ package: pkg, why: `its browser build does not work here: ${why}` });
  for (const [pkg, why] of [...state.refused].sort(byKey)) warnings.push(`package "${pkg}": ${why}`);
  return { choices, warnings };
}

const byKey = ([a]: [string, string], [b]: [string, string]): number => (a < b ? -1 : a > b ? 1 : 0);

/** The packages a build's output holds code of. */
export function packagesIn(metafile: Metafile): Set<string> {
  const found = new Set<string>();
  for (const path of Object.keys(metafile.inputs)) {
    const pkg = packageOf(path);
    if (pkg !== null) found.add(pkg);
  }
  return found;
}

/** Imports that did not resolve (a failed build's errors), by the package whose file made them; the function's own are not a package's problem. */
export function unresolvedProblems(errors: readonly Message[]): PackageProblem[] {
  const out: PackageProblem[] = [];
  for (const m of errors) {
    const file = m.location?.file;
    if (file === undefined || !/could not resolve/i.test(m.text)) continue;
    const pkg = packageOf(file);
    const root = packageRootOf(file);
    if (pkg !== null && root !== null) out.push({ package: pkg, root, why: `${m.text} (imported by ${file.replace(/^.*node_modules[\\/]/, '')})` });
  }
  return out;
}

/** Built-ins Nimbus does not provide, by the directory of the package that imported them (the Node layer records them). */
export function absentProblems(absent: ReadonlyMap<string, ReadonlySet<string>>): PackageProblem[] {
  return [...absent].map(([root, names]) => ({ package: packageOf(root + '/') ?? root, root, why: `it imports the Node built-in${names.size > 1 ? 's' : ''} ${[...names].sort().map((n) => `"${n}"`).join(', ')}, which Nimbus does not provide` }));
}

const DISABLED = '(disabled):';

/**
 * Modules a `browser` map left out that the code needs (see the header), from a build's
 * metafile. `ownMapNames(importer, specifier)` says whether the importing file's own package
 * maps that bare specifier (then the left-out module is that package's choice).
 */
export function disabledProblems(metafile: Metafile, ownMapNames: (importer: string, specifier: string) => boolean): PackageProblem[] {
  const out: PackageProblem[] = [];
  for (const [importer, input] of Object.entries(metafile.inputs)) {
    const from = packageOf(importer);
    for (const imp of input.imports) {
      if (!imp.path.startsWith(DISABLED)) continue;
      const left = imp.path.slice(DISABLED.length);
      const original = imp.original ?? left;
      const bare = !original.startsWith('.') && !original.startsWith('/');
      const own = bare && ownMapNames(importer, original);
      const owner = own ? from : (packageOf(left) ?? from);
      const root = own || packageOf(left) === null ? packageRootOf(importer) : packageRootOf(left);
      if (owner === null || root === null) continue;
      if (owner === from && imp.kind !== 'import-statement') continue;
      // a built-in its own map leaves out is the isomorphic pattern: the code checks for it at run time
      if (own && (isBuiltin(original) || original.startsWith('node:'))) continue;
      const user = from === owner ? 'its own code imports' : from === null ? `${importer} imports` : `package "${from}" imports`;
      out.push({ package: owner, root, why: `its browser map leaves out ${JSON.stringify(original)} (maps it to false), which ${user}` });
    }
  }
  return out;
}

const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** A deployer's list of packages to take from their Node build, checked: `field` names where it came from. */
export function checkNodeBuildList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !NPM_NAME.test(v) || v.length > 214)) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `${field} must be a list of npm package names, e.g. ["debug"]; got ${JSON.stringify(value)?.slice(0, 200)}`, { extra: { field } });
  }
  return [...new Set(value as string[])];
}
