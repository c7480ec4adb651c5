/**
 * `process` for functions: the function's own env (a writable copy, as in Node), nextTick,
 * hrtime, fixed version and platform facts; nothing read from the host. Also the global
 * `process` once the layer is in use. The host leaves the function's env in
 * `__nimbus_node_env` before the bundle runs (only for bundles that use the layer); a shared
 * layer, evaluated before any function owns the isolate, is given it by `bindEnv` instead.
 */
const g = globalThis as unknown as Record<string, unknown>;

const ownEnv: Record<string, string> = {};

/** Fills `process.env` (the same object, so `import { env }` sees it too) with the function's env. */
export function bindEnv(given: unknown): void {
  if (given !== null && typeof given === 'object') {
    for (const [k, v] of Object.entries(given as Record<string, unknown>)) ownEnv[k] = String(v);
  }
}

function takeEnv(): Record<string, string> {
  const given = g.__nimbus_node_env;
  delete g.__nimbus_node_env;
  bindEnv(given);
  return ownEnv;
}

type Listener = (...args: unknown[]) => void;
const listeners = new Map<string | symbol, Listener[]>();
const started = Date.now();

function now(): number {
  const perf = g.performance as { now?: () => number } | undefined;
  return typeof perf?.now === 'function' ? perf.now() : Date.now() - started;
}

function hrtime(previous?: readonly [number, number]): [number, number] {
  const ms = now();
  let sec = Math.floor(ms / 1000);
  let nsec = Math.round((ms - sec * 1000) * 1e6);
  if (previous !== undefined) {
    sec -= previous[0];
    nsec -= previous[1];
    if (nsec < 0) {
      sec -= 1;
      nsec += 1e9;
    }
  }
  return [sec, nsec];
}
hrtime.bigint = (): bigint => BigInt(Math.round(now() * 1e6));

function nextTick(fn: unknown, ...args: unknown[]): void {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  queueMicrotask(() => (fn as Listener)(...args));
}

function unsupported(name: string): () => never {
  return () => {
    throw new Error(`process.${name}() is not available in a function`);
  };
}

function output(level: 'log' | 'error') {
  return {
    isTTY: false,
    write(chunk: unknown): boolean {
      const text = typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk as Uint8Array);
      console[level](text.endsWith('\n') ? text.slice(0, -1) : text);
      return true;
    },
  };
}

export const process = {
  title: 'nimbus',
  version: 'v20.0.0',
  versions: Object.freeze({ node: '20.0.0' }) as Record<string, string>,
  release: Object.freeze({ name: 'node' }),
  platform: 'linux',
  arch: 'x64',
  env: takeEnv(),
  argv: ['node', '/bundle/index.js'],
  argv0: 'node',
  execArgv: [] as string[],
  execPath: '/usr/bin/node',
  pid: 1,
  ppid: 0,
  exitCode: undefined as number | undefined,
  config: Object.freeze({ variables: {} }),
  features: Object.freeze({}),
  stdout: output('log'),
  stderr: output('error'),
  stdin: undefined,
  cwd: (): string => '/',
  chdir: unsupported('chdir'),
  umask: (): number => 0o22,
  uptime: (): number => now() / 1000,
  hrtime,
  nextTick,
  exit(code?: number): never {
    throw new Error(`process.exit(${code ?? ''}) is not available in a function: return a response or throw`);
  },
  abort: unsupported('abort'),
  kill: unsupported('kill'),
  binding: unsupported('binding'),
  dlopen: unsupported('dlopen'),
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: unsupported('resourceUsage'),
  emitWarning(warning: unknown): void {
    console.warn(typeof warning === 'string' ? `Warning: ${warning}` : warning);
  },
  on(event: string | symbol, fn: Listener) {
    listeners.set(event, [...(listeners.get(event) ?? []), fn]);
    return process;
  },
  once(event: string | symbol, fn: Listener) {
    const once: Listener = (...args) => {
      process.off(event, once);
      fn(...args);
    };
    return process.on(event, once);
  },
  off(event: string | symbol, fn: Listener) {
    listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== fn));
    return process;
  },
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = listeners.get(event) ?? [];
    for (const l of list) l(...args);
    return list.length > 0;
  },
  listeners: (event: string | symbol): Listener[] => [...(listeners.get(event) ?? [])],
  listenerCount: (event: string | symbol): number => listeners.get(event)?.length ?? 0,
};
Object.assign(process, {
  addListener: process.on,
  removeListener: process.off,
  prependListener: process.on,
  removeAllListeners: (event?: string | symbol) => (event === undefined ? listeners.clear() : listeners.delete(event), process),
  setMaxListeners: () => process,
  getMaxListeners: () => 10,
});

if (g.process === undefined) Object.defineProperty(g, 'process', { value: process, writable: true, configurable: true, enumerable: false });

export const { env, argv, platform, arch, version, versions, cwd } = process;
export { hrtime, nextTick };
export default process;
