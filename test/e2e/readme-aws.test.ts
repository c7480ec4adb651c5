/**
 * The README's `aws` CLI example, run as written (from `cat > index.mjs` on) against a real
 * platform, with the key `nimbus aws-keys create` made and the platform's own URL for
 * `--endpoint-url`, on a platform with the examples deployed as `npm start` leaves it. Needs
 * the aws CLI and zip; where they are missing it says so and skips.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, startPlatform } from '../helpers/platform.ts';

const missing = ['aws', 'zip'].filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);

/** The README's shell block of the AWS section, from its first command after the key setup. */
function readmeAwsBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## AWS APIs'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the README has a shell block in its AWS section');
  return block.slice(block.indexOf("cat > index.mjs <<'JS'"));
}

test('the README aws CLI example runs as written', { skip: missing.length > 0 ? `needs ${missing.join(' and ')} on the PATH (Debian: apt-get install awscli zip)` : false, timeout: 120_000 }, async () => {
  // With the examples deployed, as after the README's `npm start`: the example must not
  // collide with them (it once created a function named hello, which the examples hold).
  const p = await startPlatform({ args: ['--examples'] });
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-readme-aws-'));
  try {
    const key = (await (await p.api('/api/v1/aws-keys', { method: 'POST', body: JSON.stringify({ description: 'readme' }) })).json()) as { accessKeyId: string; secretAccessKey: string };
    const script = `set -euo pipefail\nE=--endpoint-url=${p.url}\n${readmeAwsBlock()}`;
    const run = spawnSync('bash', ['-c', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' },
      timeout: 110_000,
    });
    assert.equal(run.status, 0, `the README's commands failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /"hello": ?"nimbus"/, 'the invoke printed the function result');
    assert.match(run.stdout, /hello from Nimbus/, 'the log tail decoded');
    assert.match(run.stdout, /ExecutionStarted/, 'the execution history');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await p.stop();
    p.cleanup();
  }
});
