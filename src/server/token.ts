/** The API token: made on first start in the data directory (mode 0600), read by the CLI. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newToken } from '../core/ids.ts';

export const TOKEN_FILE = 'token';

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
