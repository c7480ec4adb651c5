/** Puts a folder built aside in the place of `target`: whoever reads `target` meanwhile sees the old build or the new, never half of one. */
import { renameSync, rmSync } from 'node:fs';

export function swapIn(staging: string, target: string): void {
  const old = `${target}.${process.pid}.old`;
  try {
    renameSync(target, old);
  } catch {
    // no previous build
  }
  renameSync(staging, target);
  rmSync(old, { recursive: true, force: true });
}
