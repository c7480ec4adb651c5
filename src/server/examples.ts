/** Deploys examples/ on start so a new user has something to call at once. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Deployer } from '../deploy/deployer.ts';
import type { Logger } from './logger.ts';

/** Files `x.ts`/`x.js` deploy as `x`; directories with package.json or index.* deploy under their name. */
export function exampleEntries(dir: string): Array<{ name: string; path: string }> {
  if (!existsSync(dir)) return [];
  const out: Array<{ name: string; path: string }> = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (['package.json', 'index.ts', 'index.js'].some((f) => existsSync(join(path, f)))) out.push({ name: entry, path });
    } else if (['.ts', '.js', '.mjs'].includes(extname(entry))) {
      out.push({ name: basename(entry, extname(entry)), path });
    }
  }
  return out;
}

export async function deployExamples(deployer: Deployer, dir: string, logger: Logger): Promise<string[]> {
  const deployed: string[] = [];
  for (const { name, path } of exampleEntries(dir)) {
    try {
      const result = await deployer.deploy({ name, source: { kind: 'path', path } });
      deployed.push(name);
      logger.info({ fn: name, version: result.version.version, created: result.created }, 'example deployed');
    } catch (error) {
      logger.warn({ err: error, fn: name, path }, 'example failed to deploy');
    }
  }
  return deployed;
}
