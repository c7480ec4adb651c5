/** `nimbus help` lists every command a user can type, sub-commands included. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

it('nimbus help names every workflow sub-command, wf rm and the task callbacks included', () => {
  const help = execFileSync(process.execPath, ['--import', 'tsx', MAIN, 'help'], { encoding: 'utf8' });
  const wf = ['deploy', 'start', 'ls', 'describe', 'history', 'stop', 'redrive', 'rm', 'task-success', 'task-failure', 'task-heartbeat'];
  for (const sub of wf) assert.match(help, new RegExp(`\\bwf ${sub} `), `wf ${sub} missing from nimbus help`);
  const commands = ['up', 'deploy', 'invoke', 'ls', 'info', 'scale', 'invocations', 'show', 'rm', 'async', 'dlq', 'triggers', 'topics', 'events', 'logs', 'top', 'usage', 'alerts', 'token'];
  for (const c of commands) assert.match(help, new RegExp(`nimbus ${c}\\b`), `nimbus ${c} missing from nimbus help`);
});
