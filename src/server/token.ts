/**
 * What the CLI finds in the data directory: the API token (made on first start, mode 0600)
 * and the URL the platform listens on (written while it runs), so a local CLI needs neither
 * NIMBUS_TOKEN nor NIMBUS_URL.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newToken } from '../core/ids.ts';

export const TOKEN_FILE = 'token';
export const URL_FILE = 'url';

export function writeUrlFile(dataDir: string, url: string): void {
  writeFileSync(join(dataDir, URL_FILE), url + '\n', { mode: 0o600 });
}

/** Removes the URL file if it still names this platform (another one may have started since). */
export function removeUrlFile(dataDir: string, url: string): void {
  const path = join(dataDir, URL_FILE);
  try {
    if (readFileSync(path, 'utf8').trim() === url) rmSync(path);
  } catch {
    /* gone already */
  }
}

export function ensureToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 16) return token;
  }
  const token = newToken();
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}
