/**
 * Nimbus driven as a user would: `node bin/nimbus.mjs up` in a child process with a
 * fresh data directory, functions deployed through PUT /api/v1/functions/<name>, called
 * at /fn/<name>/. Nothing here imports src/: the platform is a black box behind HTTP.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST } from '../lib/guard.ts';
import { request, type Reply } from '../lib/http.ts';
import { childEnv, freePort, memoryOf, processTree, start } from '../lib/proc.ts';
import { NIMBUS, type HttpTarget } from './types.ts';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/nimbus.mjs');

/** Why Nimbus cannot be started from this tree yet, or null when it can. */
export function nimbusMissing(): string | null {
  if (!existsSync(bin)) return 'bin/nimbus.mjs does not exist yet (the platform is still being built)';
  if (!existsSync(join(root, 'src/server'))) return 'src/server/ does not exist yet';
  return null;
}

export interface FunctionSettings {
  readonly memoryMb?: number;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly targetConcurrency?: number;
  readonly minInstances?: number;
  readonly maxInstances?: number;
  readonly idleTimeoutMs?: number;
}

export interface NimbusTarget extends HttpTarget {
  readonly token: string;
  readonly dataDir: string;
  /** Deploys `source` as index.ts of function `name`; resolves with the reply (throws unless 2xx). */
  deploy(name: string, source: string, config?: FunctionSettings): Promise<Reply>;
  /** A control-plane call with the token; does not throw on non-2xx. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** The route templates of GET /api/v1/openapi.json, or [] when there is none. */
  routes(): Promise<string[]>;
  /** GET /api/v1/openapi.json parsed, or null. */
  openapi(): Promise<OpenApiDoc | null>;
  /** SIGKILL to the platform and the wrapper that started it (no drain), then the data directory goes. */
  kill(): Promise<void>;
}

export interface OpenApiDoc {
  readonly paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: SchemaObject }> }; responses?: Record<string, { content?: Record<string, { schema?: SchemaObject }> }> }>>;
  readonly components?: { readonly schemas?: Record<string, SchemaObject> };
}
export interface SchemaObject {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Record<string, SchemaObject>;
  readonly required?: readonly string[];
}

export interface NimbusOptions {
  /** Extra arguments after `up …` (e.g. a flag that turns observability off). */
  readonly extraArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /** Another node's data directory: its API token and secrets key are copied first (a cluster shares them). */
  readonly seedFrom?: string;
  /** Another checkout to start (its bin/nimbus.mjs, run from its src/ when it has no dist/): A/B runs of two trees. */
  readonly root?: string;
  /** Node flags for the platform's process (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
}

export async function startNimbus(opts: NimbusOptions = {}): Promise<NimbusTarget> {
  const missing = nimbusMissing();
  if (missing) throw new Error(`bench: cannot start Nimbus: ${missing}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-bench-data-'));
  if (opts.seedFrom) for (const f of ['token', 'secrets.key']) copyFileSync(join(opts.seedFrom, f), join(dataDir, f));
  const port = await freePort();
  const p = start({
    // the flags the `nimbus` command's shell line gives `up`: one process, as a user runs it
    cmd: process.execPath,
    args: ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', ...(opts.nodeArgs ?? []), opts.root ? join(opts.root, 'bin/nimbus.mjs') : bin, 'up', '--port', String(port), '--host', HOST, '--data', dataDir, '--no-examples', ...(opts.extraArgs ?? [])],
    cwd: opts.root ?? root,
    env: childEnv(opts.env),
  });
  const cleanup = async () => {
    await p.stop(10000);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await p.waitForLine(/ready/i, 60000);
    const readyAt = performance.now();
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    const baseUrl = `http://${HOST}:${port}`;
    const auth = { authorization: `Bearer ${token}` };
    const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      request(baseUrl + path, {
        method,
        headers: body === undefined ? { ...auth, ...headers } : { ...auth, 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: 120000,
      });
    const openapi = async (): Promise<OpenApiDoc | null> => {
      const r = await api('GET', '/api/v1/openapi.json');
      if (r.status !== 200) return null;
      try {
        return JSON.parse(r.body) as OpenApiDoc;
      } catch {
        return null;
      }
    };
    return {
      info: NIMBUS,
      baseUrl,
      pid: p.pid,
      startMs: readyAt - p.spawnedAt,
      token,
      dataDir,
      fnPath: (name, rest = '') => `/fn/${name}/${rest}`,
      memory: () => memoryOf(p.pid),
      stop: cleanup,
      api,
      async deploy(name, source, config) {
        const body = { source: { files: { 'index.ts': source }, entry: 'index.ts' }, ...(config ? { config } : {}) };
        const r = await api('PUT', `/api/v1/functions/${encodeURIComponent(name)}`, body);
        if (r.status < 200 || r.status >= 300) {
          throw new Error(`bench: deploying ${name} to Nimbus failed: HTTP ${r.status} ${r.body.slice(0, 500)}`);
        }
        return r;
      },
      openapi,
      async kill() {
        for (const pid of processTree(p.pid).reverse()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        await cleanup();
      },
      async routes() {
        return Object.keys((await openapi())?.paths ?? {});
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
