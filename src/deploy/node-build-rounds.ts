/**
 * The builds that settle which packages come from their Node build (node-build-choice.ts):
 * build, read what the build found wrong per package, change the choice, build again, until
 * nothing changes. A deploy whose packages all work as resolved builds once, as before.
 */
import type { BuildFailure, BuildOptions, BuildResult, Plugin } from 'esbuild';
import { bareMappedBy, hasEdgeBuildBy } from './browser-map.ts';
import { absentProblems, disabledProblems, firstState, nextState, nodeBuildsOf, outcome, unresolvedProblems, type NodeBuildState, type PackageProblem } from './node-build-choice.ts';
import type { NodeLayerUse } from './node-layer.ts';

/** Builds a settled choice takes at most (each package changes side at most twice). */
const MAX_ROUNDS = 6;

/** One round's build: its options, the Node layer's record of it, and the plugins after the layer's. */
export interface Round {
  readonly options: BuildOptions;
  readonly use: NodeLayerUse;
  readonly plugins: Plugin[];
}

export type Settled =
  | (Round & { readonly kind: 'built'; readonly result: BuildResult; readonly state: NodeBuildState })
  | { readonly kind: 'failed'; readonly failure: BuildFailure; readonly notes: readonly string[] };

/** `roundFor(nodeBuilds)`: the build that takes those packages (true: listed) from their Node build. */
export async function settleNodeBuilds(build: (options: BuildOptions) => Promise<BuildResult>, asked: readonly string[], cwd: string, roundFor: (nodeBuilds: ReadonlyMap<string, boolean>) => Round): Promise<Settled> {
  const bareMapped = bareMappedBy(cwd);
  const hasEdgeBuild = hasEdgeBuildBy(cwd);
  let state = firstState(asked);
  for (let n = 1; ; n++) {
    const round = roundFor(nodeBuildsOf(state));
    const absent = round.use.absent ?? new Map<string, Set<string>>();
    let problems: PackageProblem[];
    let result: BuildResult | null = null;
    let failure: BuildFailure | null = null;
    try {
      result = await build(round.options);
      problems = [...absentProblems(absent), ...disabledProblems(result.metafile ?? { inputs: {}, outputs: {} }, bareMapped)];
    } catch (error) {
      if (!isBuildFailure(error)) throw error;
      failure = error;
      problems = [...unresolvedProblems(error.errors), ...absentProblems(absent)];
    }
    // a package without a build for browsers has no other build to try
    problems = problems.filter((p) => state.trial.has(p.package) || hasEdgeBuild(p.root));
    const next = n < MAX_ROUNDS ? nextState(state, problems) : null;
    if (next !== null) {
      state = next;
      continue;
    }
    if (failure !== null) return { kind: 'failed', failure, notes: outcome(state, new Set()).warnings };
    return { kind: 'built', ...round, result: result!, state };
  }
}

export function isBuildFailure(error: unknown): error is BuildFailure {
  return typeof error === 'object' && error !== null && Array.isArray((error as BuildFailure).errors);
}
