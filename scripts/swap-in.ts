/**
 * Puts a folder built aside in the place of `target`: whoever opens `target` meanwhile finds
 * the old build or the new one, never half of one. (A process running from the old build may
 * still read files of the new one later.)
 */
import { renameSync, rmSync } from 'node:fs';

export function swapIn(staging: string, target: string): void {
  const old = `${target}.${process.pid}.old`;
  rmSync(old, { recursive: true, force: true });
  let moved = false;
  try {
    renameSync(target, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    // another build swapped its own in meanwhile, say: the old one goes back rather than leave none
    if (moved) renameSync(old, target);
    throw error;
  }
  rmSync(old, { recursive: true, force: true });
}
