/**
 * Starts the real platform as a child process (`nimbus up`) on a free port with a
 * fresh data directory, and runs the real CLI against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultAppsDir } from '../../src/runtime/process/app-archive.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin/nimbus.mjs');
/**
 * The platform and the CLI these tests start run the TypeScript under test, not a build that
 * may be older; `npm test` builds dist/ before its tests and says so (NIMBUS_FROM_SOURCE=0),
 * so they run the build that ships, which starts without bundling the shim and the layers.
 */
export const FROM_SOURCE = { NIMBUS_FROM_SOURCE: process.env.NIMBUS_FROM_SOURCE === '0' ? '0' : '1' };

export interface RunningPlatform {
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, no drain. */
  kill(): Promise<void>;
  /** Authorised fetch against the API. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Deploys TypeScript/JS source through the API; throws with the problem on failure. */
  deploy(name: string, code: string, config?: Record<string, unknown>): Promise<Record<string, unknown>>;
  cleanup(): void;
}

export async function startPlatform(options: { args?: readonly string[]; dataDir?: string; env?: Record<string, string> } = {}): Promise<RunningPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'nimbus-e2e-'));
  // The flags bin/nimbus.mjs would re-execute `up` with: given here, it runs in this one
  // process, so a test's kill() really kill -9s the platform rather than only its wrapper.
  const proc = spawn(process.execPath, ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', BIN, 'up', '--port', '0', '--data', dataDir, '--no-examples', '--log-level', 'warn', ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...FROM_SOURCE, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform did not start in 60s:\n${out}`)), 60_000);
    const check = () => {
      const m = /Nimbus ready on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited with ${code} before it was ready:\n${out}`));
    });
  });
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const platform: RunningPlatform = {
    url,
    token,
    dataDir,
    proc,
    output: () => out,
    async stop() {
      proc.kill('SIGTERM');
      // A platform that does not exit after its drain is a bug the test should see, not a hung suite.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
    api(path, init = {}) {
      return fetch(url + path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    },
    async deploy(name, code, config) {
      const res = await platform.api(`/api/v1/functions/${name}`, {
        method: 'PUT',
        body: JSON.stringify({ source: { files: { 'index.ts': code }, entry: 'index.ts' }, ...(config ? { config } : {}) }),
      });
      const body = (await res.json()) as Record<string, unknown>;
      // an internal error's cause is in the platform's log only: the failure shows its end
      const log = res.status >= 500 ? `\nthe platform's output ends:\n${out.slice(-4000)}` : '';
      if (!res.ok) throw Object.assign(new Error(`deploy ${name} failed: ${JSON.stringify(body)}${log}`), { problem: body, status: res.status });
      return body;
    },
    cleanup() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      if (!options.dataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        // the apps it unpacked (one directory per data directory) go with it
        rmSync(defaultAppsDir(dataDir), { recursive: true, force: true });
      }
    },
  };
  return platform;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nimbus <args>` against a platform, the way a user's shell would. */
export function cli(platform: { url: string; dataDir: string } | null, args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...FROM_SOURCE, ...(platform ? { NIMBUS_URL: platform.url, NIMBUS_DATA: platform.dataDir } : {}), ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) proc.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * An invocation's record once the platform has stored it (records are written off the
 * request path), within `ms`; with `until`, once it has reached that state (logs that grow
 * after the response, a stream's end).
 */
export function invocationRecord<T = Record<string, unknown>>(
  p: Pick<RunningPlatform, 'api'>,
  id: string,
  options: { ms?: number; until?: (record: T) => boolean } = {},
): Promise<T> {
  return eventually(async () => {
    const r = await p.api(`/api/v1/invocations/${id}`);
    if (!r.ok) return null;
    const record = (await r.json()) as T;
    return options.until === undefined || options.until(record) ? record : null;
  }, options.ms);
}

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 5000, stepMs = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
