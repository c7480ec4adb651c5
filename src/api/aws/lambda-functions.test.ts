import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeZip } from '../../../test/helpers/zip.ts';
import { AwsError } from './errors.ts';
import { createFunction, updateFunctionConfiguration } from './lambda-functions.ts';
import type { AwsContext, AwsRequest } from './protocol.ts';

const ZIP = makeZip({ 'index.mjs': 'export const handler = async () => 1;\n' }).toString('base64');

/** A context whose every write is recorded; the function `f` exists when `exists`. */
function recording(exists: boolean) {
  const writes: string[] = [];
  const version = { functionName: 'f', version: 1, config: { memoryMb: 128, timeoutMs: 3000, env: {} } };
  const ctx = {
    codeLimitBytes: 1 << 20,
    api: {
      store: { functions: { get: async () => (exists ? { name: 'f', currentVersion: 1 } : null), getSourceMap: async () => null } },
      catalog: { resolve: async () => (exists ? { version, code: 'export const handler = () => 1;' } : null) },
      deployer: {
        deploy: async () => {
          writes.push('deploy');
          return { version };
        },
      },
    },
    meta: {
      metaOf: async () => ({ runtime: 'nodejs20.x', handler: 'index.handler', role: '', description: '', codeSha256: '', codeSize: 0, published: [], reservedConcurrency: null }),
      set: async () => {
        writes.push('meta');
      },
    },
  } as unknown as AwsContext;
  return { ctx, writes };
}

const request = (body: unknown, params: Record<string, string> = {}): AwsRequest => ({ method: 'POST', params, query: new URLSearchParams(), headers: {}, body: Buffer.from(JSON.stringify(body)) });
const invalidParameter = (field: string) => (e: unknown) => e instanceof AwsError && e.type === 'InvalidParameterValueException' && e.message === `${field} must be a string`;

describe('Lambda function operations refuse a bad field before they change anything', () => {
  for (const field of ['Role', 'Description']) {
    it(`CreateFunction with a ${field} that is not a string deploys nothing`, async () => {
      const { ctx, writes } = recording(false);
      const body = { FunctionName: 'f', Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ZipFile: ZIP }, [field]: { not: 'a string' } };
      await assert.rejects(createFunction(ctx, request(body)), invalidParameter(field));
      assert.deepEqual(writes, []);
    });

    it(`UpdateFunctionConfiguration with a ${field} that is not a string deploys no new version`, async () => {
      const { ctx, writes } = recording(true);
      await assert.rejects(updateFunctionConfiguration(ctx, request({ MemorySize: 256, [field]: 5 }, { name: 'f' })), invalidParameter(field));
      assert.deepEqual(writes, []);
    });
  }

  for (const FunctionName of ['f:5', 'f:live', 'f:$LATEST', 'arn:aws:lambda:us-east-1:000000000000:function:f:2']) {
    it(`CreateFunction named with a qualifier (${FunctionName}) deploys nothing`, async () => {
      const { ctx, writes } = recording(false);
      const body = { FunctionName, Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ZipFile: ZIP } };
      await assert.rejects(createFunction(ctx, request(body)), (e: unknown) => e instanceof AwsError && e.type === 'InvalidParameterValueException' && /names a version or alias/.test(e.message));
      assert.deepEqual(writes, []);
    });
  }
});
