/**
 * The AWS SDK's own SigV4 signer (@smithy/signature-v4, what the @aws-sdk clients sign with)
 * over node:crypto, for tests and the bench to sign a request exactly as an SDK would.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** The hash constructor the SDK signer takes, over node:crypto. */
class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** A signer with an access key, for a region and service (e.g. `lambda`). */
export function sdkSigner(credentials: { accessKeyId: string; secretAccessKey: string }, region: string, service: string): SignatureV4 {
  return new SignatureV4({ credentials, region, service, sha256: NodeSha256 as never });
}
