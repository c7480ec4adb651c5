import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvocationRecord } from '../../core/types.ts';
import { AwsError } from './errors.ts';
import { invoke, logTail } from './lambda-invoke.ts';
import type { AwsContext } from './protocol.ts';

describe('Lambda Invoke pieces', () => {
  it('the log tail is the last 4 KB, base64, ending with END and REPORT', () => {
    const logs = Array.from({ length: 200 }, (_, i) => ({ t: 0, level: 'info' as const, msg: `line ${i} ${'x'.repeat(40)}` }));
    const record = { logs, durationMs: 12.5, billedMs: 13, memoryMb: 128, coldStart: false, initMs: 0 } as unknown as InvocationRecord;
    const text = Buffer.from(logTail(record, 'id1', '$LATEST'), 'base64').toString('utf8');
    assert.ok(Buffer.byteLength(text) <= 4096);
    assert.ok(Buffer.byteLength(text) > 4000);
    assert.match(text, /line 199 x+\nEND RequestId: id1\nREPORT RequestId: id1\tDuration: 12\.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\n$/);
    assert.doesNotMatch(text, /line 0 /);
  });

  it('a payload over the platform limit is RequestTooLargeException before anything runs', async () => {
    const ctx = { payloadLimitBytes: 10, api: {} } as unknown as AwsContext;
    await assert.rejects(
      invoke(ctx, { method: 'POST', params: { name: 'f' }, query: new URLSearchParams(), headers: {}, body: Buffer.from('{"a":"0123456789"}') }),
      (e) => e instanceof AwsError && e.type === 'RequestTooLargeException' && e.status === 413,
    );
  });
});
