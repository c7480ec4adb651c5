/** `nimbus deploy <name> <path>`: bundle locally (npm deps resolve from the function's own folder), upload, report. */
import { parseDuration, parseMegabytes } from '../../config/config.ts';
import { MEMORY_MB } from '../../core/types.ts';
import { bundlePath } from '../../deploy/bundle.ts';
import { FUNCTION_NAME } from '../../deploy/function-config.ts';
import { checkNodeBuildList, type NodeBuildChoice } from '../../deploy/node-build-choice.ts';
import type { ShippedFiles } from '../../deploy/native-packages.ts';
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { ApiError, call, type Answer, type ClientOptions } from '../client.ts';
import { readDeclaration } from './triggers.ts';
import { readAppDir } from '../app-dir.ts';
import { bytes, print, printJson, progress } from '../format.ts';

export const DEPLOY_FLAGS = [
  'memory', 'timeout', 'cpu', 'env', 'concurrency', 'target', 'min', 'max', 'idle', 'scale-down-delay', 'json',
  'runtime', 'cmd', 'ready-path', 'event-path', 'start-timeout', 'grace', 'node-build',
];

function int(args: ParsedArgs, name: string): number | undefined {
  const raw = flag(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} ${JSON.stringify(raw)} is not a whole number`);
  return n;
}

/** The deploy flag of each config field, and the unit its numbers are in. */
const FLAGS: Record<string, { flag: string; unit: string }> = {
  memoryMb: { flag: '--memory', unit: 'MB' },
  timeoutMs: { flag: '--timeout', unit: 'ms' },
  cpuLimitMs: { flag: '--cpu', unit: 'ms' },
  idleTimeoutMs: { flag: '--idle', unit: 'ms' },
  scaleDownDelayMs: { flag: '--scale-down-delay', unit: 'ms' },
  concurrency: { flag: '--concurrency', unit: '' },
  targetConcurrency: { flag: '--target', unit: '' },
  minInstances: { flag: '--min', unit: '' },
  maxInstances: { flag: '--max', unit: '' },
};

/**
 * A refusal of the platform about a config field, in the words of the command line: the
 * flag instead of the field (`config.timeoutMs: must be <= 900000` → `--timeout: must be
 * <= 900000 ms`). Null when the problem is about no deploy flag.
 */
export function inFlagWords(detail: string, field: unknown): string | null {
  const name = typeof field === 'string' ? field.replace(/^config\./, '') : '';
  if (!(name in FLAGS)) return null;
  let text = detail;
  for (const [key, { flag, unit }] of Object.entries(FLAGS)) {
    // The field's name, and a number right after it (`timeoutMs (10000)`, `memoryMb 10`), get the flag and the unit.
    text = text.replace(new RegExp(`\\b(?:config\\.)?${key}\\b(:?\\s*\\(?)(\\d+)?`, 'g'), (_m, gap: string, n?: string) => `${flag}${gap}${n === undefined ? '' : n + (unit ? ' ' + unit : '')}`);
  }
  // A bound stated after the fact (`must be <= 900000`) is in the field's unit too.
  const { unit } = FLAGS[name];
  if (unit) text = text.replace(/([<>]=?\s*)(\d+)(?![\d.])(?! ?(?:ms|MB))/g, `$1$2 ${unit}`);
  return text;
}

/** `--memory`: MB as a plain number (`128`) or a size with its unit (`512m`, `512MB`, `1g`, `1gb`), within MEMORY_MB. */
export function memoryFlag(raw: string): number {
  const shape = `give MB (--memory 256) or a size with its unit (--memory 512mb, --memory 1g)`;
  let mb: number;
  try {
    mb = parseMegabytes(raw, 'memory');
  } catch {
    throw new UsageError(`--memory ${JSON.stringify(raw)} is not a memory size: ${shape}`);
  }
  if (mb < MEMORY_MB.min || mb > MEMORY_MB.max) {
    throw new UsageError(`--memory ${raw} is ${mb} MB; an instance's memory is from ${MEMORY_MB.min} MB to ${MEMORY_MB.max} MB (${MEMORY_MB.max / 1024}g)`);
  }
  return mb;
}

/** The config fields a command line sets; fields not given are left to the platform. */
export function configFromFlags(args: ParsedArgs): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const memory = flag(args, 'memory');
  if (memory !== undefined) config.memoryMb = memoryFlag(memory);
  const timeout = flag(args, 'timeout');
  if (timeout !== undefined) config.timeoutMs = parseDuration(timeout, 'timeout');
  const cpu = flag(args, 'cpu');
  if (cpu !== undefined) config.cpuLimitMs = parseDuration(cpu, 'cpu');
  const idle = flag(args, 'idle');
  if (idle !== undefined) config.idleTimeoutMs = parseDuration(idle, 'idle');
  const delay = flag(args, 'scale-down-delay');
  if (delay !== undefined) config.scaleDownDelayMs = parseDuration(delay, 'scale-down-delay');
  for (const [key, name] of [['concurrency', 'concurrency'], ['targetConcurrency', 'target'], ['minInstances', 'min'], ['maxInstances', 'max']] as const) {
    const v = int(args, name);
    if (v !== undefined) config[key] = v;
  }
  const envs = args.flags.get('env');
  if (envs) {
    const env: Record<string, string> = {};
    for (const pair of envs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--env ${JSON.stringify(pair)} must look like NAME=value`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    config.env = env;
  }
  return config;
}

/**
 * The app settings of the command line over the directory's nimbus.json `app` section;
 * null when neither asks for runtime "app".
 */
export function appConfig(args: ParsedArgs, declared: unknown): Record<string, unknown> | null {
  const runtime = flag(args, 'runtime');
  if (runtime !== undefined && runtime !== 'app' && runtime !== 'isolate' && runtime !== 'node') {
    throw new UsageError(`--runtime ${JSON.stringify(runtime)}: use "isolate" (default), "node" (the same module with all of Node) or "app" (any HTTP server command)`);
  }
  const appFlags = ['cmd', 'ready-path', 'event-path', 'start-timeout', 'grace'].filter((f) => flag(args, f) !== undefined);
  if (runtime === 'isolate' || runtime === 'node' || (runtime === undefined && declared === undefined && appFlags.length === 0)) {
    if (appFlags.length > 0) throw new UsageError(`--${appFlags[0]} is for --runtime app`);
    return null;
  }
  if (declared !== undefined && (typeof declared !== 'object' || declared === null || Array.isArray(declared))) throw new UsageError('nimbus.json: "app" must be an object, e.g. {"command": "python3 app.py"}');
  const app: Record<string, unknown> = { ...(declared as Record<string, unknown> | undefined) };
  const cmd = flag(args, 'cmd');
  if (cmd !== undefined) app.command = cmd;
  const ready = flag(args, 'ready-path');
  if (ready !== undefined) app.readinessPath = ready;
  const event = flag(args, 'event-path');
  if (event !== undefined) app.eventPath = event;
  const start = flag(args, 'start-timeout');
  if (start !== undefined) app.startTimeoutMs = parseDuration(start, 'start-timeout');
  const grace = flag(args, 'grace');
  if (grace !== undefined) app.graceMs = parseDuration(grace, 'grace');
  return app;
}

/**
 * The packages to bundle from their Node build: nimbus.json's `nodeBuild` and every
 * `--node-build` (a name or a comma-separated list), checked as npm names.
 */
export function nodeBuildList(args: ParsedArgs, declared: unknown): string[] {
  const given = (args.flags.get('node-build') ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  try {
    const listed = declared === undefined ? [] : checkNodeBuildList(declared, 'nimbus.json: "nodeBuild"');
    return [...new Set([...listed, ...checkNodeBuildList(given, '--node-build')])];
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** What the deploy says about the packages shipped as files beside the bundle: a line for each it imports, one for their dependencies. */
export function shippedLines(shipped: ShippedFiles): string[] {
  const own = shipped.packages.filter((p) => !p.why.startsWith('a dependency of '));
  const deps = shipped.packages.filter((p) => p.why.startsWith('a dependency of '));
  const lines = own.map((p) => `• package ${p.name}${p.version ? `@${p.version}` : ''} shipped as files beside the bundle (${bytes(p.bytes)}): ${p.why}`);
  const named = deps.slice(0, 6).map((p) => p.name).join(', ') + (deps.length > 6 ? `, … (--json lists all)` : '');
  if (deps.length > 0) lines.push(`  with ${deps.length} package(s) it depends on (${bytes(deps.reduce((n, p) => n + p.bytes, 0))}): ${named}`);
  return lines;
}

/** An upload over the server's limit, with what the shipped packages weigh. */
function tooLargeWithPackages(message: string, shipped: ShippedFiles): string {
  const largest = [...shipped.packages].sort((a, b) => b.bytes - a.bytes).slice(0, 3).map((p) => `${p.name} ${bytes(p.bytes)}`);
  return `${message}. The packages shipped as files weigh ${bytes(shipped.bytes)} (base64 adds a third; largest: ${largest.join(', ')}): raise the server's --api-body-limit, or drop packages the function does not need`;
}

export async function deploy(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, DEPLOY_FLAGS);
  const [name, path] = args.positionals;
  if (!name || !path) throw new UsageError('usage: nimbus deploy <name> <file-or-dir> [--memory 128] [--timeout 10s] [--env K=V]… [--node-build pkg]… [--runtime app --cmd "python3 app.py"]');
  // Before the bundling, which can take seconds: the platform would refuse the name after it.
  if (!FUNCTION_NAME.test(name)) throw new UsageError(`function name ${JSON.stringify(name)} is invalid: use 1-64 letters, digits, "-" or "_", starting with a letter or digit`);
  const config = configFromFlags(args);
  const json = has(args, 'json');
  const t0 = performance.now();
  const { app: declaredApp, nodeBuild: declaredNodeBuild, ...declaration } = readDeclaration(path);
  const app = appConfig(args, declaredApp);
  const nodeBuild = nodeBuildList(args, declaredNodeBuild);
  let nodeBuilds: readonly NodeBuildChoice[] = [];
  let shipped: ShippedFiles | undefined;
  const route = `/api/v1/functions/${encodeURIComponent(name)}`;
  let upload: (withMap: boolean) => Promise<Answer>;
  let hasMap = false;
  let codeChars = 0;
  if (app !== null) {
    const dir = readAppDir(path);
    if (!json) progress(`• read ${Object.keys(dir.files).length} file(s), ${bytes(dir.bytes)}; uploading to ${client.url}…`);
    const body = { source: { app: { files: dir.files, executable: dir.executable } }, config: { ...config, runtime: 'app', app }, ...declaration };
    upload = () => call(client, 'PUT', route, body);
  } else {
    if (!json) progress(`• bundling ${path}…`);
    const forNode = flag(args, 'runtime') === 'node';
    if (forNode && args.flags.has('node-build')) throw new UsageError('--node-build is for the isolate runtime: the node runtime bundles every package from its Node build');
    const built = await bundlePath(path, forNode ? 'node' : 'isolate', false, { nodeBuild: forNode ? [] : nodeBuild });
    for (const w of built.warnings) progress(`  warning: ${w}`);
    nodeBuilds = built.nodeBuilds ?? [];
    shipped = built.shipped;
    if (!json) for (const c of nodeBuilds) progress(`• package ${c.package} bundled from its Node build: ${c.why}`);
    if (!json && shipped !== undefined) for (const line of shippedLines(shipped)) progress(line);
    if (!json) progress(`• bundled ${bytes(Buffer.byteLength(built.code))} in ${Math.round(performance.now() - t0)} ms; uploading to ${client.url}…`);
    hasMap = built.sourceMap !== null;
    const packages = shipped === undefined ? undefined : { files: shipped.files, executable: shipped.executable };
    codeChars = JSON.stringify(built.code).length + (packages === undefined ? 0 : JSON.stringify(packages).length);
    upload = (withMap: boolean): Promise<Answer> =>
      call(client, 'PUT', route, { source: { bundle: built.code, ...(withMap && built.sourceMap !== null ? { sourceMap: built.sourceMap } : {}), ...(packages === undefined ? {} : { packages }) }, config: forNode ? { ...config, runtime: 'node' } : config, ...declaration });
  }
  let answer: Answer;
  try {
    answer = await upload(true);
  } catch (error) {
    const worded = error instanceof ApiError && error.problem.code === 'NIMBUS_ERR_VALIDATION' ? inFlagWords(error.message, error.problem.field) : null;
    if (worded !== null) throw new UsageError(worded);
    // The map can take the upload over the server's body limit while the code alone fits.
    const limit = error instanceof ApiError && error.status === 413 ? Number(error.problem.limit) : NaN;
    if (!(hasMap && codeChars < limit)) {
      if (shipped !== undefined && error instanceof ApiError && error.status === 413) throw new UsageError(tooLargeWithPackages(error.message, shipped));
      throw error;
    }
    progress('  warning: the bundle with its source map is over the server\'s upload limit; deploying without the map (errors will show bundle positions)');
    answer = await upload(false);
  }
  const result = answer.body as { version: { version: number; config: Record<string, unknown> }; created: boolean; url: string };
  if (json) {
    printJson({ ...result, ...(nodeBuilds.length > 0 ? { nodeBuilds } : {}), ...(shipped !== undefined ? { shippedPackages: shipped.packages } : {}) });
    return 0;
  }
  const c = result.version.config as { memoryMb: number; timeoutMs: number; concurrency: number; maxInstances: number };
  print(
    result.created
      ? `✓ deployed ${name} version ${result.version.version} (${c.memoryMb} MB, timeout ${c.timeoutMs / 1000}s, ${c.concurrency}/instance, max ${c.maxInstances})`
      : `✓ ${name} is unchanged: version ${result.version.version} already has this code and config`,
  );
  // A declaration beside the code is applied on every deploy, a new version or not.
  const applied = [declaration.triggers !== undefined ? 'triggers' : '', declaration.async !== undefined ? 'async policy' : ''].filter(Boolean);
  if (applied.length > 0) print(`  declared ${applied.join(' and ')} applied (\`nimbus triggers ls ${name}\` lists the triggers)`);
  print(`  ${result.url}`);
  return 0;
}
