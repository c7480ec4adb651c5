/**
 * Access keys for the AWS-compatible endpoints. Nimbus issues them (`nimbus aws-keys create`);
 * the secret is shown once and kept in the store sealed with the platform's SecretBox (SigV4
 * needs the secret itself, so it must be recoverable; it is never in the store in clear).
 * Nothing is cached: every node reads the store on each request, so a key made or removed on
 * one node counts on every other at once, and there is nothing to announce.
 */
import { randomBytes as cryptoRandom } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import type { SecretBox } from '../../releases/secret-box.ts';
import type { AwsKeyRepo } from '../../store/aws-ports.ts';

export interface AwsKeyView {
  readonly accessKeyId: string;
  readonly createdAt: number;
  readonly description: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/**
 * What the seal is bound to, beside the key's id: a name no function can have (':' is not
 * allowed in one), so a function's sealed secret copied here does not open, nor the reverse.
 */
export const AWS_KEY_SEAL_DOMAIN = 'aws:access-key';
/** The ids Nimbus issues ('NKIA' and 16 of ID_ALPHABET); anything else is unknown without asking the store. */
const ISSUED_ID = /^NKIA[A-Z2-7]{16}$/;

export class AwsKeyStore {
  constructor(
    private readonly repo: AwsKeyRepo,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly random: (n: number) => Buffer = cryptoRandom,
  ) {}

  /** A new key pair; the secret is returned here and never again. */
  async create(description = ''): Promise<AwsKeyView & { secretAccessKey: string }> {
    const bytes = this.random(16);
    const accessKeyId = 'NKIA' + [...bytes].map((b) => ID_ALPHABET[b % 32]).join('');
    const secretAccessKey = this.random(30).toString('base64');
    const createdAt = this.clock.now();
    const sealedSecret = this.box.seal(AWS_KEY_SEAL_DOMAIN, accessKeyId, secretAccessKey);
    if (!(await this.repo.insert({ accessKeyId, createdAt, description, sealedSecret }))) {
      throw new NimbusError('NIMBUS_ERR_INTERNAL', `access key id ${accessKeyId} was drawn twice; create the key again`);
    }
    return { accessKeyId, createdAt, description, secretAccessKey };
  }

  async list(): Promise<AwsKeyView[]> {
    return (await this.repo.list()).map(({ accessKeyId, createdAt, description }) => ({ accessKeyId, createdAt, description }));
  }

  async remove(accessKeyId: string): Promise<void> {
    if (!ISSUED_ID.test(accessKeyId) || !(await this.repo.delete(accessKeyId))) {
      throw new NimbusError('NIMBUS_ERR_AWS_KEY_NOT_FOUND', `no access key ${accessKeyId}; \`nimbus aws-keys ls\` lists them`);
    }
  }

  /**
   * The secret of a key, or undefined when Nimbus did not issue it (or it was removed).
   * A key sealed under another platform key is NIMBUS_ERR_SECRET_UNREADABLE (a node started
   * with the wrong secrets key), not an unknown key.
   */
  async secretOf(accessKeyId: string): Promise<string | undefined> {
    if (!ISSUED_ID.test(accessKeyId)) return undefined;
    const row = await this.repo.get(accessKeyId);
    return row === null ? undefined : this.box.open(AWS_KEY_SEAL_DOMAIN, accessKeyId, row.sealedSecret);
  }
}
