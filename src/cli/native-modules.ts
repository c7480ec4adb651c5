/**
 * The platform's compiled native modules (better-sqlite3, isolated-vm), checked before
 * `nimbus up` loads the server: a module whose install script did not run (npm 11 runs a
 * dependency's install scripts only when allowed) otherwise fails deep in a stack trace.
 */
import { installDir } from './install-dir.ts';

type Load = (name: string) => Promise<unknown>;

const PROBES: ReadonlyArray<readonly [name: string, probe: (load: Load) => Promise<void>]> = [
  [
    'better-sqlite3',
    async (load) => {
      // its binary is loaded by the first Database, not by the import
      const Database = ((await load('better-sqlite3')) as { default: new (path: string) => { close(): void } }).default;
      new Database(':memory:').close();
    },
  ],
  ['isolated-vm', async (load) => void (await load('isolated-vm'))],
];

/** The native modules that cannot be loaded, with why. */
export async function unloadableNativeModules(load: Load = (name) => import(name)): Promise<Array<{ name: string; error: string }>> {
  const failed: Array<{ name: string; error: string }> = [];
  for (const [name, probe] of PROBES) {
    try {
      await probe(load);
    } catch (error) {
      failed.push({ name, error: String((error as Error)?.message ?? error).split('\n')[0] });
    }
  }
  return failed;
}

/** One line saying which modules are missing and the command that builds them. */
export function nativeModulesAdvice(failed: ReadonlyArray<{ name: string; error: string }>, dir: string = installDir()): string {
  const names = failed.map((f) => f.name);
  return (
    `${names.join(' and ')} ${names.length > 1 ? 'have' : 'has'} no working compiled binary (${failed[0]?.error}); ` +
    `build ${names.length > 1 ? 'them' : 'it'} with \`cd ${dir} && npm rebuild ${names.join(' ')}\` (needs g++, make and python3, ~2–3 min), ` +
    'or reinstall with `npm install -g --allow-scripts=better-sqlite3,isolated-vm,esbuild nimbus-serverless`'
  );
}
