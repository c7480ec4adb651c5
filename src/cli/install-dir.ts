/**
 * The folder Nimbus is installed in (the one with its package.json), found from this
 * module's own place: `src/cli/` when run from source, `dist/` when built. The examples
 * and the version are read from there, wherever the command is run from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function installDir(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}: Nimbus's install is incomplete`);
    dir = parent;
  }
}

export function installedVersion(): string {
  return (JSON.parse(readFileSync(join(installDir(), 'package.json'), 'utf8')) as { version: string }).version;
}
