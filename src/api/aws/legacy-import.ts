/**
 * Data directories from before the AWS layer kept its state in the store held it in JSON
 * files: aws-keys.json (secrets under AES-256-GCM with aws-keys.key) and aws-lambda.json
 * (Lambda facts by function). On the first start after the upgrade they are imported into
 * the store once (secrets sealed again with the platform's SecretBox) and renamed with an
 * `.imported` suffix, so the next start finds nothing to do. Importing twice adds nothing:
 * a key or a function's facts already in the store are kept.
 */
import { createDecipheriv } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { NimbusError } from '../../core/errors.ts';
import type { SecretBox } from '../../releases/secret-box.ts';
import type { AwsKeyRepo, LambdaFacts, LambdaFactsRepo } from '../../store/aws-ports.ts';
import { AWS_KEY_SEAL_DOMAIN } from './keys.ts';

export const LEGACY_KEYS_FILE = 'aws-keys.json';
export const LEGACY_MASTER_FILE = 'aws-keys.key';
export const LEGACY_FACTS_FILE = 'aws-lambda.json';
export const IMPORTED_SUFFIX = '.imported';

interface LegacyKey {
  readonly accessKeyId: string;
  readonly createdAt: number;
  readonly description: string;
  /** base64: 12-byte IV, 16-byte tag, ciphertext. */
  readonly secret: string;
}

export interface LegacyImportReport {
  readonly keys: { readonly imported: number; readonly kept: number } | null;
  readonly facts: { readonly imported: number; readonly kept: number } | null;
}

function decrypt(master: Buffer, text: string): string {
  const raw = Buffer.from(text, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', master, raw.subarray(0, 12), { authTagLength: 16 });
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

function retire(path: string): void {
  if (existsSync(path)) renameSync(path, path + IMPORTED_SUFFIX);
}

async function importKeys(dataDir: string, repo: AwsKeyRepo, box: SecretBox): Promise<LegacyImportReport['keys']> {
  const keysPath = join(dataDir, LEGACY_KEYS_FILE);
  const masterPath = join(dataDir, LEGACY_MASTER_FILE);
  if (!existsSync(keysPath)) {
    retire(masterPath);
    return null;
  }
  const master = existsSync(masterPath) ? readFileSync(masterPath) : null;
  if (master === null || master.length !== 32) {
    throw new NimbusError('NIMBUS_ERR_INTERNAL', `${keysPath} cannot be imported into the store: ${masterPath} is missing or not a 32-byte key; restore it from a backup, or move ${keysPath} away (its keys are then lost)`);
  }
  let imported = 0;
  let kept = 0;
  for (const k of JSON.parse(readFileSync(keysPath, 'utf8')) as LegacyKey[]) {
    let secret: string;
    try {
      secret = decrypt(master, k.secret);
    } catch {
      throw new NimbusError('NIMBUS_ERR_INTERNAL', `access key ${k.accessKeyId} in ${keysPath} does not open with ${masterPath}; restore the pair from a backup`);
    }
    const sealedSecret = box.seal(AWS_KEY_SEAL_DOMAIN, k.accessKeyId, secret);
    if (await repo.insert({ accessKeyId: k.accessKeyId, createdAt: k.createdAt, description: k.description ?? '', sealedSecret })) imported++;
    else kept++;
  }
  retire(keysPath);
  retire(masterPath);
  return { imported, kept };
}

async function importFacts(dataDir: string, repo: LambdaFactsRepo): Promise<LegacyImportReport['facts']> {
  const path = join(dataDir, LEGACY_FACTS_FILE);
  if (!existsSync(path)) return null;
  let imported = 0;
  let kept = 0;
  for (const [name, facts] of Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, LambdaFacts>)) {
    if (await repo.putIfAbsent(name, facts)) imported++;
    else kept++;
  }
  retire(path);
  return { imported, kept };
}

/** Imports what the old files hold and renames them; null parts: there was no such file. */
export async function importLegacyAwsFiles(dataDir: string, store: { readonly awsKeys: AwsKeyRepo; readonly lambdaFacts: LambdaFactsRepo }, box: SecretBox): Promise<LegacyImportReport> {
  return { keys: await importKeys(dataDir, store.awsKeys, box), facts: await importFacts(dataDir, store.lambdaFacts) };
}
