/**
 * Which unpacked directories (one per content hash, under one root) may go: a directory is
 * removed once no starting or live instance uses it and the store no longer has its content
 * (told by keep(); until first told, nothing is removed).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { appDirName, removeAppDirs } from './app-archive.ts';

export class UnpackedDirs {
  /** Directory name → instances using it. */
  readonly #users = new Map<string, number>();
  #wanted: Set<string> | null = null;

  constructor(private readonly root: string) {}

  /** An instance starts from this directory; call the returned function when it has exited. */
  use(name: string): () => void {
    this.#users.set(name, (this.#users.get(name) ?? 0) + 1);
    // A version started since the store was last read is the store's too.
    this.#wanted?.add(name);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#users.get(name) ?? 1) - 1;
      if (left > 0) return void this.#users.set(name, left);
      this.#users.delete(name);
      if (this.#wanted !== null && !this.#wanted.has(name)) rmSync(join(this.root, name), { recursive: true, force: true });
    };
  }

  /** The store has these code hashes: every other directory not in use goes now, the rest when their last instance exits. */
  keep(codeHashes: ReadonlySet<string>): void {
    this.#wanted = new Set([...codeHashes].map(appDirName));
    removeAppDirs(this.root, new Set([...this.#wanted, ...this.#users.keys()]));
  }
}
