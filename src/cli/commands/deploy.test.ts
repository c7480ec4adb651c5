import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, UsageError } from '../args.ts';
import { deploy } from './deploy.ts';

test('nimbus deploy refuses a function name the platform would refuse before it reads or bundles anything', async () => {
  const client = { url: 'http://127.0.0.1:9', token: 't', tokenSource: 'test' };
  for (const name of ['bad.name', '-lead', 'a'.repeat(65), 'ünï']) {
    // the path does not exist: reading it would fail with another error
    await assert.rejects(deploy(client, parseArgs([name, '/nonexistent/fn.ts'], new Set())), (e: unknown) => e instanceof UsageError && e.message.includes(`function name ${JSON.stringify(name)} is invalid`), name);
  }
});
