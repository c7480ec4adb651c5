/**
 * This node's id: made once per data directory and kept in `node-id` there, so a node
 * restarted on its directory is the same node (it takes its own leases back at once and
 * re-queues what it left running) while nodes on other directories are distinct.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const ID = /^[A-Za-z0-9._-]{1,100}$/;

export function ensureNodeId(dataDir: string): string {
  const path = join(dataDir, 'node-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (ID.test(id)) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 60) || 'node';
  const id = `${host}-${randomBytes(4).toString('hex')}`;
  writeFileSync(path, `${id}\n`, { mode: 0o644 });
  return id;
}
