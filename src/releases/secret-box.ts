/**
 * Secrets at rest: AES-256-GCM with one platform key. A sealed value is
 * `v1.<iv>.<tag>.<ciphertext>` (base64url), bound to its function and name as additional
 * data, so a sealed value copied to another function or name does not open.
 *
 * The key is NIMBUS_SECRETS_KEY when given (64 hex digits or 32 bytes in base64), else the
 * file `secrets.key` in the data directory, made on first use with mode 0600.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '../core/errors.ts';

export const SECRETS_KEY_FILE = 'secrets.key';
const PREFIX = 'v1';
/** GCM's full tag; a shorter one would lower the forgery bound, so no other length opens. */
const TAG_BYTES = 16;

/** The 32 bytes of a key written as 64 hex digits or base64; null when it is neither. */
export function parseSecretsKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (key.length === 32) return key;
  }
  return null;
}

/** The platform's key: the configured one, else the data directory's (made when missing). */
export function loadSecretsKey(dataDir: string, configured: string): Buffer {
  if (configured !== '') {
    const key = parseSecretsKey(configured);
    if (!key) throw new NimbusError('NIMBUS_ERR_VALIDATION', 'secretsKey (NIMBUS_SECRETS_KEY) must be 32 bytes: 64 hex digits or base64');
    return key;
  }
  const path = join(dataDir, SECRETS_KEY_FILE);
  if (existsSync(path)) {
    const key = parseSecretsKey(readFileSync(path, 'utf8'));
    if (!key) throw new NimbusError('NIMBUS_ERR_VALIDATION', `${path} does not hold a 32-byte key (64 hex digits); restore it from a backup`);
    return key;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('an AES-256 key is 32 bytes');
    this.#key = key;
  }

  seal(functionName: string, name: string, value: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(`${functionName}\0${name}`));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return [PREFIX, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(functionName: string, name: string, sealed: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== PREFIX) throw this.#unreadable(functionName, name);
    const tag = Buffer.from(parts[2], 'base64url');
    if (tag.length !== TAG_BYTES) throw this.#unreadable(functionName, name);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(parts[1], 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${functionName}\0${name}`));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(parts[3], 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw this.#unreadable(functionName, name);
    }
  }

  /** Every sealed value of a version, opened. */
  openAll(functionName: string, sealed: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(sealed)) out[name] = this.open(functionName, name, value);
    return out;
  }

  #unreadable(functionName: string, name: string): NimbusError {
    return new NimbusError(
      'NIMBUS_ERR_SECRET_UNREADABLE',
      `secret ${name} of ${functionName} does not open with this platform's key; start with the key it was stored with (NIMBUS_SECRETS_KEY or ${SECRETS_KEY_FILE}), or set it again`,
    );
  }
}
