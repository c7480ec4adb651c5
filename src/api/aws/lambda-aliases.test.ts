import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionAlias } from '../../core/types.ts';
import { AwsError } from './errors.ts';
import { createAlias, getAlias, updateAlias } from './lambda-aliases.ts';
import type { AwsContext, AwsRequest } from './protocol.ts';

/** A context with one function `f` and its aliases; every write is recorded. */
function recording(aliases: FunctionAlias[], aliasDescriptions: Record<string, string> = {}) {
  const writes: string[] = [];
  const ctx = {
    region: 'us-east-1',
    accountId: '000000000000',
    api: {
      releases: {
        listAliases: async () => aliases,
        getAlias: async (_fn: string, name: string) => aliases.find((a) => a.name === name),
        setAlias: async (functionName: string, name: string, routes: FunctionAlias['routes']) => {
          writes.push(`alias ${name}`);
          return { functionName, name, routes, previous: null, updatedAt: 1 };
        },
      },
    },
    meta: {
      metaOf: async () => ({ aliasDescriptions }),
      set: async () => {
        writes.push('meta');
      },
    },
  } as unknown as AwsContext;
  return { ctx, writes };
}

const request = (body: unknown, params: Record<string, string>): AwsRequest => ({ method: 'POST', params, query: new URLSearchParams(), headers: {}, body: Buffer.from(JSON.stringify(body)) });
const live: FunctionAlias = { functionName: 'f', name: 'live', routes: [{ version: 1, weight: 100 }], previous: null, updatedAt: 1 };
const descriptionRefused = (e: unknown) => e instanceof AwsError && e.type === 'InvalidParameterValueException' && /Description must be a string/.test(e.message);

describe('Lambda alias operations', () => {
  it('CreateAlias with a Description that is not a string creates no alias', async () => {
    const { ctx, writes } = recording([]);
    await assert.rejects(createAlias(ctx, request({ Name: 'live', FunctionVersion: '1', Description: 5 }, { name: 'f' })), descriptionRefused);
    assert.deepEqual(writes, []);
  });

  it('UpdateAlias with a Description that is not a string leaves the alias as it was', async () => {
    const { ctx, writes } = recording([live]);
    await assert.rejects(updateAlias(ctx, request({ FunctionVersion: '2', Description: ['x'] }, { name: 'f', alias: 'live' })), descriptionRefused);
    assert.deepEqual(writes, []);
  });

  it('an alias named like a member of every object (constructor, toString) has an empty Description, not none', async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const { ctx } = recording([{ ...live, name }], { live: 'the live one' });
      const out = await getAlias(ctx, request({}, { name: 'f', alias: name }));
      assert.equal((out.body as Record<string, unknown>).Description, '', name);
    }
    const { ctx } = recording([live], { live: 'the live one' });
    assert.equal(((await getAlias(ctx, request({}, { name: 'f', alias: 'live' }))).body as Record<string, unknown>).Description, 'the live one');
  });
});
