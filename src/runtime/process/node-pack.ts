/**
 * The stored code of a node function that ships packages as files beside its bundle (native
 * addons, deploy/native-packages.ts): `{"nimbusNode":1,"bundle":…,"files":{path: base64},
 * "executable":[path]}`, files under `node_modules/`, canonical as an app's files are (equal
 * content, equal hash). Unpacked once per content hash, as apps are (app-archive.ts); the
 * Node addons among its files are found there once, to be loaded when a process is given it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '../../core/errors.ts';
import { canonicalFiles, type AppFiles } from './app-archive.ts';

const PREFIX = '{"nimbusNode":1,';

/** The stored text of a bundle with its packages' files (validated: paths under node_modules/). */
export function packNodeFunction(bundle: string, packages: unknown): string {
  const { files, executable } = canonicalFiles(packages, 'source.packages', 'leave source.packages out when no package is shipped as files');
  const outside = Object.keys(files).find((p) => !p.startsWith('node_modules/'));
  if (outside !== undefined) throw new NimbusError('NIMBUS_ERR_VALIDATION', `source.packages.files[${JSON.stringify(outside.slice(0, 100))}] is not under node_modules/`, { extra: { field: 'source.packages' } });
  return `${PREFIX}"bundle":${JSON.stringify(bundle)},"files":${JSON.stringify(files)},"executable":${JSON.stringify(executable)}}`;
}

export function isNodePack(code: string): boolean {
  return code.startsWith(PREFIX);
}

/** The bundle and the files of a stored node function (a plain bundle has no files). */
export function unpackNodeFunction(code: string): { bundle: string; files: AppFiles | null } {
  if (!isNodePack(code)) return { bundle: code, files: null };
  const { bundle, files, executable } = JSON.parse(code) as { bundle: string; files: Record<string, string>; executable: string[] };
  return { bundle, files: { files, executable } };
}

/** A Node addon among the shipped files: its path under the unpacked directory and its package. */
export interface AddonFile {
  readonly path: string;
  readonly package: string;
  /** Its path inside its package. */
  readonly file: string;
}

/**
 * Marks of a Node addon in a `.node` file: the registration Node looks for (`node_register_module_vN`,
 * `napi_register_module_v1`) or calls (`node_module_register`). Other `.node` files (a SQLite
 * extension that better-sqlite3 ships for its tests) are not Node's to load.
 */
const ADDON_MARKS = ['node_register_module_v', 'napi_register_module_v', 'node_module_register'].map((m) => Buffer.from(m));

/** The Node addons among `paths` (relative to `dir`): the `.node` files with a Node registration in them. */
export function addonFiles(dir: string, paths: Iterable<string>): AddonFile[] {
  const found: AddonFile[] = [];
  for (const path of paths) {
    if (!path.endsWith('.node')) continue;
    const bytes = readFileSync(join(dir, path));
    if (!ADDON_MARKS.some((m) => bytes.includes(m))) continue;
    found.push({ path, ...packageOfPath(path) });
  }
  return found;
}

/** `node_modules/a/node_modules/@s/b/build/x.node` → `@s/b` and `build/x.node`. */
function packageOfPath(path: string): { package: string; file: string } {
  const parts = path.split('/');
  const at = parts.lastIndexOf('node_modules');
  const width = parts[at + 1]?.startsWith('@') ? 2 : 1;
  return { package: parts.slice(at + 1, at + 1 + width).join('/'), file: parts.slice(at + 1 + width).join('/') };
}
