/**
 * A package `old-addon` whose Node addon registers itself as one built for Node 18 does
 * (NODE_MODULE_VERSION 108, which Node checks when it loads it), compiled with the host's C
 * compiler: how an addon built for another Node reaches a platform.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = `struct node_module { int nm_version; unsigned int nm_flags; void *nm_dso_handle; const char *nm_filename; void (*nm_register_func)(void); void *nm_context_register_func; const char *nm_modname; void *nm_priv; struct node_module *nm_link; };
extern void node_module_register(void *);
static void init(void) {}
static struct node_module mod = { 108, 0, 0, "old.c", init, 0, "old", 0, 0 };
__attribute__((constructor)) static void load(void) { node_module_register(&mod); }
`;

/** True when the host has a C compiler to build it with. */
export function canBuildOldAddon(): boolean {
  return spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Writes the package into `dir` (its build/Release/old.node compiled there). */
export function writeOldAddon(dir: string): void {
  mkdirSync(join(dir, 'build/Release'), { recursive: true });
  writeFileSync(join(dir, 'old.c'), SOURCE);
  const built = spawnSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'build/Release/old.node'), join(dir, 'old.c')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`cc failed: ${built.stderr}`);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'old-addon', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), "module.exports = require('./build/Release/old.node');");
}
