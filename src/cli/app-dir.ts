/** An app's directory as `nimbus deploy --runtime app` uploads it: every file, base64, with its executable bit. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { UsageError } from './args.ts';

/** Never part of an app: version control and byte-code caches. */
const SKIP = new Set(['.git', '.hg', '.svn', '__pycache__', '.nimbus']);

export function readAppDir(dir: string): { files: Record<string, string>; executable: string[]; bytes: number } {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${dir} is not a directory: an app is deployed from its directory`);
  const files: Record<string, string> = {};
  const executable: string[] = [];
  let bytes = 0;
  const walk = (at: string) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      if (SKIP.has(e.name)) continue;
      const full = join(at, e.name);
      const st = statSync(full, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) {
        const rel = relative(dir, full).split(sep).join('/');
        const content = readFileSync(full);
        bytes += content.byteLength;
        files[rel] = content.toString('base64');
        if (st.mode & 0o111) executable.push(rel);
      }
    }
  };
  walk(dir);
  return { files, executable, bytes };
}
