/** What the AWS endpoint's e2e tests share: an access key of the platform, an Event invocation's end. */
import assert from 'node:assert/strict';
import { eventually, type RunningPlatform } from './platform.ts';

/** A fresh access key issued by the platform (POST /api/v1/aws-keys). */
export async function awsKey(p: RunningPlatform, description = 'e2e'): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const res = await p.api('/api/v1/aws-keys', { method: 'POST', body: JSON.stringify({ description }) });
  assert.equal(res.status, 201);
  return (await res.json()) as { accessKeyId: string; secretAccessKey: string };
}

/** Waits until the async invocation `id` (an Event Invoke's request id) has succeeded. */
export async function asyncSucceeded(p: RunningPlatform, id: string): Promise<void> {
  await eventually(async () => {
    const r = await p.api(`/api/v1/async/${id}`);
    return r.status === 200 && ((await r.json()) as { state: string }).state === 'succeeded';
  }, 20_000);
}
