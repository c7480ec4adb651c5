/**
 * A package bundled from its Node build instead of its browser build: its entry is found as
 * Node finds it (export conditions `node`, `import`/`require`, `default`), its ES build
 * (`module`) before `main` as in the node runtime's bundles, its own files import one another with no `browser` map in between, and the
 * built-ins it imports are Node's (the Node layer's modules, node-layer.ts). The packages it
 * depends on are resolved as usual, each by its own rule. Which packages: node-build-choice.ts.
 */
import type { BuildOptions, ImportKind, Plugin, PluginBuild, ResolveResult } from 'esbuild';
import { isBuiltin } from 'node:module';
import { packageOf } from './node-layer.ts';

/** Settings of esbuild's resolver that find a package's Node build: as the node runtime's bundles find it (bundle.ts), ES builds first. */
const NODE_RESOLUTION: BuildOptions = { platform: 'node', mainFields: ['module', 'main'], conditions: ['node'] };

type Resolve = PluginBuild['resolve'];

/**
 * esbuild's resolver with Node's settings, for the imports of packages taken from their Node
 * build: a build context kept open for its `resolve` (it builds nothing), opened on first use.
 */
export class NodeResolver {
  #opening: Promise<{ resolve: Resolve; dispose: () => Promise<void> }> | null = null;

  async resolve(path: string, options: { kind: ImportKind; resolveDir: string }): Promise<ResolveResult> {
    this.#opening ??= open();
    return (await this.#opening).resolve(path, options);
  }

  async dispose(): Promise<void> {
    const opening = this.#opening;
    this.#opening = null;
    if (opening !== null) await (await opening).dispose();
  }
}

async function open(): Promise<{ resolve: Resolve; dispose: () => Promise<void> }> {
  const { context } = await import('esbuild');
  let resolve: Resolve | null = null;
  const ctx = await context({
    ...NODE_RESOLUTION,
    stdin: { contents: '' },
    bundle: true,
    write: false,
    logLevel: 'silent',
    plugins: [{ name: 'nimbus-node-resolver', setup: (b) => void (resolve = b.resolve) }],
  });
  await ctx.rebuild();
  if (resolve === null) throw new Error('esbuild gave no resolver');
  return { resolve, dispose: () => ctx.dispose() };
}

/** The package a bare specifier names (`@aws-sdk/client-s3/x` → `@aws-sdk/client-s3`), or null for a path. */
export function packageNamed(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? (parts.length >= 2 ? `${parts[0]}/${parts[1]}` : null) : parts[0]!;
}

/**
 * Resolves, with `resolver`, the imports that reach into a package of `packages`: a bare
 * import of the package from anywhere, and its own files' relative imports. Built-ins are
 * left to the Node layer (told of these packages through NodeLayerUse.nodeBuilds).
 */
export function nodeBuildPlugin(packages: ReadonlySet<string>, resolver: NodeResolver): Plugin {
  return {
    name: 'nimbus-node-build',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.namespace !== 'file' || args.kind === 'entry-point') return undefined;
        const spec = args.path;
        if (spec.startsWith('node:') || isBuiltin(spec)) return undefined;
        const relative = spec.startsWith('.') || spec.startsWith('/');
        const target = relative ? packageOf(args.importer) : packageNamed(spec);
        if (target === null || !packages.has(target)) return undefined;
        const found = await resolver.resolve(spec, { kind: args.kind, resolveDir: args.resolveDir });
        if (found.errors.length > 0) return { errors: found.errors.map((e) => ({ text: `${e.text} (in the Node build of package "${target}")` })) };
        if (found.external) return undefined;
        return { path: found.path, sideEffects: found.sideEffects };
      });
    },
  };
}
