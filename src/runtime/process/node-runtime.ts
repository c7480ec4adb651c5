/**
 * The `node` runtime: functions with the same fetch/handler contract as isolates, run in
 * a Node process with all of Node. A few generic processes are started ahead (spares,
 * from the first deploy of a node function on) so that an instance is a spare given the
 * function's bundle (an IPC message and a script evaluation), not a process start. Each
 * runs under the same launcher as apps (sandbox, dies with the platform); its memory
 * limit is applied when it is specialised (its processes move into the instance's cgroup).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import type { FunctionConfig, ModuleExports } from '../../core/types.ts';
import type { Instance, InstanceSpec, Runtime } from '../port.ts';
import { createInstanceCgroup, removeWhenEmpty } from './instance-cgroup.ts';
import type { ProcessIsolation } from './isolation.ts';
import { launchPlan } from './launch.ts';
import { NodeInstance, type SpareProcess } from './node-instance.ts';
import { refuseWithoutNetworkOptIn } from './app-runtime.ts';
import { guardChannel } from './channel-guard.ts';
import { killGroup } from './signal.ts';
import { appDirName, materialiseFiles, type AppFiles } from './app-archive.ts';
import { addonFiles, isNodePack, unpackNodeFunction, type AddonFile } from './node-pack.ts';
import { UnpackedDirs } from './unpacked-dirs.ts';

/** The directory under the apps directory where functions' packages are unpacked (a dot name: not an app's, app-archive.ts). */
export const NODE_PACKAGES_DIR = '.node-packages';

/** Where a function's unpacked packages are in its sandbox (read-only). */
export const PACKAGES_MOUNT = '/packages';

/** How many functions' packs are kept read (node functions that ship packages, started lately). */
const PACKS_KEPT = 16;

/** The limit a spare runs under until it is given a function (and that function's limit). */
const SPARE_MEMORY_BYTES = 8192 * 1024 * 1024;

/** Names the spares' cgroups: unique in the platform process, also with several runtimes in it (tests). */
let spareSeq = 0;

const WORKER_DIR = dirname(fileURLToPath(new URL('./node-worker/worker.mjs', import.meta.url)));

export interface NodeRuntimeOptions {
  readonly clock: Clock;
  readonly isolation: ProcessIsolation;
  /** Generic processes kept started ahead (default 2). */
  readonly spares?: number;
  /**
   * Where the packages a function ships as files (native addons) are unpacked, one directory
   * per content hash (default: a directory of this process's in the system temp directory).
   */
  readonly packagesDir?: string;
  /**
   * The largest message a Node process may send on its IPC channel, bytes (default
   * DEFAULT_MAX_MESSAGE_BYTES); past it, or on bytes that are no message, the process is
   * stopped (channel-guard.ts). Its answers and fetches are bounded by the payload limit.
   */
  readonly maxMessageBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface NodeRuntime extends Runtime {
  /** Starts the spares now (they start on the first deploy otherwise). */
  prewarm(): void;
  livePids(): number[];
  /** Processes started ahead for functions that ship packages (tests, diagnostics). */
  aheadPids(): number[];
}

export function createNodeRuntime(options: NodeRuntimeOptions): NodeRuntime {
  const { clock, isolation } = options;
  const want = options.spares ?? 2;
  const spares: SpareProcess[] = [];
  const live = new Set<NodeInstance>();
  /** Spares given a function: their instance reads their cgroup at exit (OOM or not) and removes it then. */
  const taken = new WeakSet<SpareProcess>();
  let closed = false;
  let seq = 0;
  const packagesRoot = options.packagesDir ?? join(tmpdir(), `nimbus-node-packages-${process.pid}`);
  const unpacked = new UnpackedDirs(packagesRoot);
  /** The Node addons of each unpacked directory, found once. */
  const addonsOf = new Map<string, AddonFile[]>();

  /** A process for the pool, or (with `packages`) one for a function that ships packages, showing them read-only. */
  const spawnSpare = (packages?: string): SpareProcess => {
    const cgroup = isolation.cgroup ? createInstanceCgroup(isolation.cgroup, `node-spare-${process.pid}-${spareSeq++}`, SPARE_MEMORY_BYTES) : null;
    const plan = launchPlan(isolation, {
      appDir: WORKER_DIR,
      command: 'exec node --no-warnings worker.mjs',
      env: { NODE_CHANNEL_FD: '3', NODE_CHANNEL_SERIALIZATION_MODE: 'advanced' },
      memoryBytes: SPARE_MEMORY_BYTES,
      cgroupProcs: cgroup?.procsFiles ?? [],
      ...(packages === undefined ? {} : { readOnly: [{ host: packages, at: PACKAGES_MOUNT }] }),
    });
    const child = spawn(plan.file, plan.args, { cwd: plan.cwd, env: plan.env, detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', () => {});
    // the function's code can write its channel's descriptor: a frame Node cannot parse, or a huge one, stops the process, not the platform
    guardChannel(child, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, () => killGroup(child.pid!));
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `a Node process of the node runtime exited before it was ready (exit code ${code}): ${stderr.trim().split('\n').slice(-5).join('\n')}`)));
    });
    ready.catch(() => {});
    const spare: SpareProcess = { child, spawnedAt: clock.monotonic(), ready, cgroup };
    child.once('exit', () => {
      if (!taken.has(spare)) removeWhenEmpty(cgroup, clock);
    });
    return spare;
  };

  const refill = () => {
    while (!closed && spares.length < want) spares.push(spawnSpare());
  };

  /** A ready spare if there is one, else the oldest starting one (or a new one). */
  const take = (): SpareProcess => {
    refill();
    const spare = spares.shift()!;
    refill();
    return spare;
  };

  /**
   * For each function that ships packages (by its unpacked directory) while it has instances:
   * one process started ahead with its packages, so that its next instance (a scale-out)
   * starts as one from a spare does. Started once an instance has loaded; it goes with the
   * function's last instance.
   */
  const ahead = new Map<string, { spare: SpareProcess | null; instances: number }>();
  const alive = (s: SpareProcess | null): s is SpareProcess => s !== null && s.child.exitCode === null && s.child.signalCode === null;

  /**
   * A stored code's bundle, files and directory name, read once for the last few codes started
   * (a pack is megabytes of JSON; the catalog hands the same string to every start).
   */
  const packs = new Map<string, { bundle: string; files: AppFiles | null; name: string }>();
  const readPack = (code: string): { bundle: string; files: AppFiles | null; name: string } => {
    if (!isNodePack(code)) return { bundle: code, files: null, name: '' };
    let pack = packs.get(code);
    if (pack === undefined) {
      pack = { ...unpackNodeFunction(code), name: appDirName(createHash('sha256').update(code).digest('hex')) };
      packs.set(code, pack);
      if (packs.size > PACKS_KEPT) packs.delete(packs.keys().next().value!);
    }
    return pack;
  };

  /** The process for an instance of the function whose packages are unpacked in `dir`. */
  const ownProcess = (name: string, dir: string): SpareProcess => {
    const entry = ahead.get(name) ?? { spare: null, instances: 0 };
    ahead.set(name, entry);
    entry.instances++;
    const spare = alive(entry.spare) ? entry.spare : spawnSpare(dir);
    entry.spare = null;
    return spare;
  };
  /** Its addons are loaded as soon as it is ready (the function's code is not: it runs when an instance is asked for). */
  const startAhead = (name: string, dir: string, packages: { readonly dir: string; readonly addons: readonly AddonFile[] }): void => {
    const entry = ahead.get(name);
    if (entry === undefined || closed || alive(entry.spare)) return;
    const spare = spawnSpare(dir);
    entry.spare = spare;
    void spare.ready.then(() => alive(spare) && spare.child.send({ t: 'preload', packages }, () => {}), () => {});
  };
  const leave = (name: string): void => {
    const entry = ahead.get(name);
    if (entry === undefined || --entry.instances > 0) return;
    ahead.delete(name);
    if (alive(entry.spare)) killGroup(entry.spare.child.pid!);
  };

  /**
   * A spare given the function. A function that ships packages gets a process started with
   * its unpacked packages shown read-only (a generic spare cannot see them): the one started
   * ahead for it, else a new one (the first start pays a process start).
   */
  const specialise = async (spec: InstanceSpec, serving = true): Promise<NodeInstance> => {
    const { bundle, files, name } = readPack(spec.code);
    let release = () => {};
    let packages: { name: string; dir: string; seen: string; addons: AddonFile[] } | null = null;
    if (files !== null) {
      const unuse = unpacked.use(name);
      try {
        const dir = materialiseFiles(name, () => files, packagesRoot);
        let addons = addonsOf.get(name);
        if (addons === undefined) addonsOf.set(name, (addons = addonFiles(dir, Object.keys(files.files))));
        packages = { name, dir, seen: isolation.sandbox === 'bubblewrap' ? PACKAGES_MOUNT : dir, addons };
      } catch (error) {
        unuse();
        throw error;
      }
      release = () => (leave(name), unuse());
    }
    const spare = packages === null ? take() : ownProcess(packages.name, packages.dir);
    taken.add(spare);
    // It died before it was ready: nobody else removes its cgroup.
    await spare.ready.catch((error: unknown) => {
      removeWhenEmpty(spare.cgroup, clock);
      release();
      throw error;
    });
    // The spare's cgroup takes the function's memory limit now.
    spare.cgroup?.setMemoryLimit(spec.config.memoryMb * 1024 * 1024);
    const instance = new NodeInstance(clock, spec, spare, spare.cgroup);
    void instance.whenExited().then(release);
    try {
      await instance.load(bundle, spec.config.env, packages === null ? null : { dir: packages.seen, addons: packages.addons });
    } catch (error) {
      instance.dispose();
      throw error;
    }
    // A deploy's check is not serving: no scale-out follows it.
    if (packages !== null && serving) startAhead(packages.name, packages.dir, { dir: packages.seen, addons: packages.addons });
    return instance;
  };

  return {
    kind: 'node',
    prewarm: refill,
    async inspect(code: string, config: FunctionConfig, functionName = 'fn'): Promise<ModuleExports> {
      refuseWithoutNetworkOptIn(isolation);
      const instance = await specialise({ instanceId: `inspect-${seq++}`, functionName, version: 0, code, config, onLog: () => {}, fetch: () => Promise.reject(new Error('no fetch at inspect')) }, false);
      instance.dispose();
      if (!instance.exports.fetch && !instance.exports.handler) {
        throw new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', `${functionName} exports neither a default object with fetch(request, env, ctx) nor handler(event, context)`);
      }
      return instance.exports;
    },
    async start(spec: InstanceSpec): Promise<Instance> {
      const instance = await specialise(spec);
      live.add(instance);
      void instance.whenExited().then(() => live.delete(instance));
      return instance;
    },
    keepCode(codeHashes) {
      unpacked.keep(codeHashes);
      for (const name of addonsOf.keys()) if (!existsSync(join(packagesRoot, name))) addonsOf.delete(name);
    },
    livePids: () => [...live].map((i) => i.pid),
    aheadPids: () => [...ahead.values()].flatMap((e) => (alive(e.spare) ? [e.spare.child.pid!] : [])),
    async close() {
      closed = true;
      const left = [...spares.splice(0), ...[...ahead.values()].flatMap((e) => (alive(e.spare) ? [e.spare] : []))];
      ahead.clear();
      const gone = left.map((s) => (s.child.exitCode !== null || s.child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => s.child.once('exit', () => resolve()))));
      for (const s of left) killGroup(s.child.pid!);
      const all = [...live];
      for (const i of all) i.dispose();
      await Promise.all([...gone, ...all.map((i) => i.whenExited())]);
      for (const s of left) removeWhenEmpty(s.cgroup, clock);
    },
  };
}
