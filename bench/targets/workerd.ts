/**
 * Cloudflare's workerd from the npm package (the binary ships inside it). We write a
 * capnp text config with one service per worker and start the binary directly (not via
 * npx, so the process measured is workerd alone). With several workers, a router worker
 * dispatches /fn/<name>/ to them through service bindings, as a dispatch namespace would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST } from '../lib/guard.ts';
import { portOpen, waitFor } from '../lib/http.ts';
import { freePort, memoryOf, start } from '../lib/proc.ts';
import { WORKERD, type HttpTarget } from './types.ts';

const require = createRequire(import.meta.url);
/** Absolute path of the workerd executable inside node_modules. */
export const workerdBin: string = (require('workerd') as { default: string }).default;
export const workerdVersion: string = (require('workerd/package.json') as { version: string }).version;
const COMPAT_DATE = '2025-01-01';

export interface WorkerSpec {
  readonly name: string;
  /** An ES module exporting `default { fetch }`, or with `classic`, a service-worker script. */
  readonly source: string;
  /** A classic (sloppy-mode) script answering through `addEventListener('fetch', …)`. */
  readonly classic?: boolean;
  /** workerd compatibility flags (`nodejs_compat`); none by default. */
  readonly compatibilityFlags?: readonly string[];
  /** The compatibility date (default COMPAT_DATE): later dates turn on more of the runtime (`node:fs` from 2025-09). */
  readonly compatibilityDate?: string;
}

const ROUTER = `export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.split('/')[2];
    const svc = env['w_' + name];
    if (!svc) return new Response('no such function', { status: 404 });
    return svc.fetch(request);
  },
};
`;

/** capnp constant and service name for a worker: camelCase, no underscores. */
const ident = (name: string) => {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bench: bad worker name ${name}`);
  return 'w' + name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
};

/** The capnp config text; module files are embedded by relative path. */
export function workerdConfig(workers: readonly WorkerSpec[], port: number, routed = workers.length > 1): string {
  const services = workers.map((w) => `    (name = "${ident(w.name)}", worker = .${ident(w.name)}),`);
  const defs = workers.map(
    (w) => `const ${ident(w.name)} :Workerd.Worker = (
  ${w.classic ? `serviceWorkerScript = embed "${w.name}.js"` : `modules = [ (name = "${w.name}.js", esModule = embed "${w.name}.js") ]`},
  compatibilityDate = "${w.compatibilityDate ?? COMPAT_DATE}",${w.compatibilityFlags?.length ? `\n  compatibilityFlags = [${w.compatibilityFlags.map((f) => JSON.stringify(f)).join(', ')}],` : ''}
);`,
  );
  if (routed) {
    services.push(`    (name = "router", worker = .router),`);
    const bindings = workers.map((w) => `    (name = "w_${w.name}", service = "${ident(w.name)}"),`).join('\n');
    defs.push(`const router :Workerd.Worker = (
  modules = [ (name = "router.js", esModule = embed "router.js") ],
  compatibilityDate = "${COMPAT_DATE}",
  bindings = [
${bindings}
  ],
);`);
  }
  const entry = routed ? 'router' : ident(workers[0].name);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
${services.join('\n')}
  ],
  sockets = [ ( name = "http", address = "${HOST}:${port}", http = (), service = "${entry}" ) ],
);
${defs.join('\n')}
`;
}

export interface WorkerdOptions {
  readonly workers: readonly WorkerSpec[];
  /** Put the router in front even of a single worker (default: only for several). */
  readonly router?: boolean;
  /** Request polled to decide the process is up (default: GET of the first worker). */
  readonly probe?: { readonly path: string; readonly method?: 'GET' | 'POST'; readonly body?: string };
  /** 'http' (default): up at the probe's first 2xx; 'port': up once the port accepts (no request sent). */
  readonly readiness?: 'http' | 'port';
}

/** A running workerd; `output()` is what it printed (a worker's load error, for one). */
export type WorkerdTarget = HttpTarget & { output(): string };

export async function startWorkerd(opts: WorkerdOptions): Promise<WorkerdTarget> {
  if (opts.workers.length === 0) throw new Error('bench: workerd needs at least one worker');
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-workerd-'));
  const port = await freePort();
  for (const w of opts.workers) writeFileSync(join(dir, `${w.name}.js`), w.source);
  const routed = opts.router ?? opts.workers.length > 1;
  if (routed) writeFileSync(join(dir, 'router.js'), ROUTER);
  writeFileSync(join(dir, 'config.capnp'), workerdConfig(opts.workers, port, routed));
  const p = start({ cmd: workerdBin, args: ['serve', join(dir, 'config.capnp')], cwd: dir });
  const baseUrl = `http://${HOST}:${port}`;
  const cleanup = async () => {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const upAt =
      opts.readiness === 'port'
        ? await Promise.race([portOpen(port, 30000), p.died()])
        : (
            await Promise.race([
              waitFor(baseUrl + (opts.probe?.path ?? `/fn/${opts.workers[0].name}/`), 30000, 1, {
                method: opts.probe?.method ?? 'GET',
                ...(opts.probe?.body !== undefined ? { body: opts.probe.body, headers: { 'content-type': 'application/json' } } : {}),
              }),
              p.died(),
            ])
          ).doneAt;
    return {
      info: WORKERD,
      baseUrl,
      pid: p.pid,
      startMs: upAt - p.spawnedAt,
      fnPath: (name, rest = '') => `/fn/${name}/${rest}`,
      memory: () => memoryOf(p.pid),
      stop: cleanup,
      output: () => p.output(),
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
