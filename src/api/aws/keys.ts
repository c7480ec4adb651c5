/**
 * Access keys for the AWS-compatible endpoints. Nimbus issues them (`nimbus aws-keys create`);
 * the secret is shown once and kept encrypted at rest: AES-256-GCM under a 32-byte key in
 * the data directory (mode 0600), one JSON file of keys beside it, rewritten atomically.
 * The secrets are decrypted once, at load, into memory (SigV4 needs the secret itself).
 */
import { createCipheriv, createDecipheriv, randomBytes as cryptoRandom } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';

export interface AwsKeyView {
  readonly accessKeyId: string;
  readonly createdAt: number;
  readonly description: string;
}

interface StoredKey extends AwsKeyView {
  /** base64: 12-byte IV, 16-byte tag, ciphertext of the secret. */
  readonly secret: string;
}

const KEY_FILE = 'aws-keys.key';
const KEYS_FILE = 'aws-keys.json';
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class AwsKeyStore {
  private readonly master: Buffer;
  private readonly keys = new Map<string, StoredKey>();
  private readonly secrets = new Map<string, string>();

  constructor(
    private readonly dataDir: string,
    private readonly clock: Clock,
    private readonly random: (n: number) => Buffer = cryptoRandom,
  ) {
    this.master = this.loadMaster();
    const path = join(dataDir, KEYS_FILE);
    if (existsSync(path)) {
      for (const k of JSON.parse(readFileSync(path, 'utf8')) as StoredKey[]) {
        this.keys.set(k.accessKeyId, k);
        this.secrets.set(k.accessKeyId, this.decrypt(k.secret));
      }
    }
  }

  /** A new key pair; the secret is returned here and never again. */
  create(description = ''): AwsKeyView & { secretAccessKey: string } {
    const bytes = this.random(16);
    const accessKeyId = 'NKIA' + [...bytes].map((b) => ID_ALPHABET[b % 32]).join('');
    const secretAccessKey = this.random(30).toString('base64');
    const key: StoredKey = { accessKeyId, createdAt: this.clock.now(), description, secret: this.encrypt(secretAccessKey) };
    this.keys.set(accessKeyId, key);
    this.secrets.set(accessKeyId, secretAccessKey);
    this.save();
    return { accessKeyId, createdAt: key.createdAt, description, secretAccessKey };
  }

  list(): AwsKeyView[] {
    return [...this.keys.values()].map(({ accessKeyId, createdAt, description }) => ({ accessKeyId, createdAt, description }));
  }

  remove(accessKeyId: string): void {
    if (!this.keys.delete(accessKeyId)) {
      throw new NimbusError('NIMBUS_ERR_AWS_KEY_NOT_FOUND', `no access key ${accessKeyId}; \`nimbus aws-keys ls\` lists them`);
    }
    this.secrets.delete(accessKeyId);
    this.save();
  }

  /** The secret of a key, or undefined when Nimbus did not issue it (or it was removed). */
  secretOf(accessKeyId: string): string | undefined {
    return this.secrets.get(accessKeyId);
  }

  private loadMaster(): Buffer {
    const path = join(this.dataDir, KEY_FILE);
    if (existsSync(path)) {
      const key = readFileSync(path);
      if (key.length !== 32) throw new NimbusError('NIMBUS_ERR_INTERNAL', `${path} is not a 32-byte key; restore it from a backup or remove it together with ${KEYS_FILE}`);
      return key;
    }
    const key = this.random(32);
    writeFileSync(path, key, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return key;
  }

  private encrypt(secret: string): string {
    const iv = this.random(12);
    const cipher = createCipheriv('aes-256-gcm', this.master, iv);
    const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  private decrypt(text: string): string {
    const raw = Buffer.from(text, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.master, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  private save(): void {
    const path = join(this.dataDir, KEYS_FILE);
    const tmp = path + '.tmp';
    writeFileSync(tmp, JSON.stringify([...this.keys.values()], null, 1), { mode: 0o600 });
    renameSync(tmp, path);
  }
}
