/** What the numbers were measured on: recorded with every result file. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  readonly commit: string;
  /** True when the working tree had uncommitted changes at run time. */
  readonly dirty: boolean;
  /** 1-minute load average when the scenario started: >1 per core means a busy machine. */
  readonly loadAvg1m: number;
  readonly packages: Readonly<Record<string, string>>;
}

const require = createRequire(import.meta.url);
const root = new URL('../..', import.meta.url).pathname;

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** The installed version, read from the package's own package.json (exports maps may hide it). */
function pkgVersion(name: string): string {
  try {
    const main = require.resolve(name);
    const at = main.lastIndexOf(`/node_modules/${name}/`);
    const file = main.slice(0, at + `/node_modules/${name}/`.length) + 'package.json';
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function cpuModel(): string {
  const m = os.cpus()[0]?.model?.trim();
  if (m) return m;
  try {
    const t = readFileSync('/proc/cpuinfo', 'utf8');
    return /model name\s*:\s*(.+)/.exec(t)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    loadAvg1m: Math.round(os.loadavg()[0] * 100) / 100,
    packages: {
      autocannon: pkgVersion('autocannon'),
      workerd: pkgVersion('workerd'),
      'aws-local-stepfunctions': pkgVersion('aws-local-stepfunctions'),
    },
  };
}
