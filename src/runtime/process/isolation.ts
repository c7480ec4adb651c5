/**
 * What this host lets the platform enforce on app processes, probed once at start: the
 * filesystem/namespace sandbox (bubblewrap), the memory and process-count limits (cgroup
 * v1 or v2 where the controllers are writable, else RLIMIT_AS through prlimit), and how
 * processes die with the platform. Reported by `nimbus up` and GET /api/v1/runtimes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupMode =
  | {
      readonly version: 1;
      readonly memory: string;
      readonly pids: string | null;
      /** Where an instance's CPU is accounted (cpuacct), or null without that hierarchy. */
      readonly cpuacct: string | null;
      /**
       * Where an instance's processes share one CPU weight (the cpu controller), or null
       * without it. The same directory as cpuacct where the two controllers are mounted together.
       */
      readonly cpu: string | null;
    }
  | { readonly version: 2; readonly root: string };

export interface ProcessIsolation {
  /** `bubblewrap`: user, mount, pid, ipc and uts namespaces; `none`: the app sees the host's filesystem as the platform's user. */
  readonly sandbox: 'bubblewrap' | 'none';
  readonly namespaces: readonly string[];
  readonly memoryLimit: 'cgroup-v1' | 'cgroup-v2' | 'rlimit-as' | 'none';
  readonly processLimit: 'cgroup-v1' | 'cgroup-v2' | 'none';
  /** How app processes end when the platform is killed: `pid-namespace` (bubblewrap or unshare) or `none`. */
  readonly dieWithPlatform: 'pid-namespace' | 'none';
  /**
   * Network of app and node processes: `namespace`, each instance in its own network
   * namespace with only a loopback, reached by the platform through a connector, its
   * outbound HTTP(S) through the platform's egress proxy under the isolates' rules; `host`,
   * they share the host's network (where the host cannot make namespaces, or the operator
   * chose it with --app-host-network). docs/apps.md, Network.
   */
  readonly network: 'namespace' | 'host';
  /** The operator chose the host network (--app-host-network); on a host without network namespaces app and node deploys are refused without it. */
  readonly hostNetworkAllowed: boolean;
  readonly notes: readonly string[];
  /** Where instances' cgroups are made (internal). */
  readonly cgroup: CgroupMode | null;
  readonly unshare: boolean;
  readonly prlimit: boolean;
  /** setpriv can give the launcher PR_SET_PDEATHSIG: it dies with the platform even if killed -9. */
  readonly setpriv: boolean;
  /**
   * bubblewrap can keep the sandbox from making user namespaces of its own (--disable-userns,
   * bubblewrap 0.8+), and so any namespace: each is counted against the platform's user
   * (user.max_user_namespaces) and some of a network namespace's kernel memory against no cgroup.
   */
  readonly disableUserns: boolean;
}

function works(file: string, args: string[]): boolean {
  try {
    return spawnSync(file, args, { stdio: 'ignore', timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/** A directory of ours under a writable cgroup hierarchy, or null. Stale ones of dead platforms are removed. */
function cgroupDir(hierarchy: string, tag: string): string | null {
  if (!existsSync(hierarchy)) return null;
  try {
    for (const name of readdirSync(hierarchy)) {
      const m = /^nimbus-(\d+)$/.exec(name);
      if (m && !existsSync(`/proc/${m[1]}`)) removeCgroupTree(join(hierarchy, name));
    }
    const dir = join(hierarchy, tag);
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return null;
  }
}

/** Removes an (empty of processes) cgroup and its children; leftovers are ignored. */
export function removeCgroupTree(dir: string): void {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
    rmdirSync(dir);
  } catch {
    /* still busy or gone */
  }
}

/**
 * The processes of all instances together: at most half of what the host can have
 * (kernel.pid_max, kernel.threads-max). Each instance has its own PIDS_MAX, but enough
 * instances of them would take every pid of the host, and then nothing on it can start a
 * process, the platform included.
 */
export function allProcessesMax(): number | null {
  const read = (file: string) => {
    try {
      return Number(readFileSync(file, 'utf8').trim()) || Infinity;
    } catch {
      return Infinity;
    }
  };
  const host = Math.min(read('/proc/sys/kernel/pid_max'), read('/proc/sys/kernel/threads-max'));
  return Number.isFinite(host) ? Math.floor(host / 2) : null;
}

function limitAllProcesses(dir: string): void {
  const max = allProcessesMax();
  if (max === null) return;
  try {
    writeFileSync(join(dir, 'pids.max'), String(max));
  } catch {
    /* no pids controller here */
  }
}

/** A v1 hierarchy's real directory: `cpu` and `cpuacct` are often links to one `cpu,cpuacct` mount. */
function hierarchyPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function probeCgroup(tag: string): CgroupMode | null {
  const v1 = cgroupDir('/sys/fs/cgroup/memory', tag);
  if (v1 && existsSync(join(v1, 'memory.limit_in_bytes'))) {
    const cpuacct = cgroupDir(hierarchyPath('/sys/fs/cgroup/cpuacct'), tag);
    const cpu = cgroupDir(hierarchyPath('/sys/fs/cgroup/cpu'), tag);
    const pids = cgroupDir('/sys/fs/cgroup/pids', tag);
    if (pids) limitAllProcesses(pids);
    return {
      version: 1,
      memory: v1,
      pids,
      cpuacct: cpuacct && existsSync(join(cpuacct, 'cpuacct.usage')) ? cpuacct : null,
      cpu: cpu && existsSync(join(cpu, 'cpu.shares')) ? cpu : null,
    };
  }
  if (v1) removeCgroupTree(v1);
  try {
    const controllers = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8');
    if (!/\bmemory\b/.test(controllers)) return null;
    const root = cgroupDir('/sys/fs/cgroup', tag);
    if (!root) return null;
    writeFileSync(join(root, 'cgroup.subtree_control'), '+memory +pids');
    limitAllProcesses(root);
    // Each instance's processes then share one CPU weight (where the parent delegates the cpu controller).
    try {
      writeFileSync(join(root, 'cgroup.subtree_control'), '+cpu');
    } catch {
      /* no cpu controller here */
    }
    return { version: 2, root };
  } catch {
    return null;
  }
}

export function probeIsolation(options: { readonly allowUnsandboxed?: boolean; readonly allowHostNetwork?: boolean } = {}): ProcessIsolation {
  const tag = `nimbus-${process.pid}`;
  const bwrap = works('bwrap', ['--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', 'true']);
  const netns = bwrap && !options.allowHostNetwork && works('bwrap', ['--unshare-user', '--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', 'true']);
  const unshare = !bwrap && works('unshare', ['--pid', '--fork', '--kill-child=SIGKILL', 'true']);
  const disableUserns = bwrap && works('bwrap', ['--unshare-user', '--disable-userns', '--unshare-pid', '--ro-bind', '/', '/', 'true']);
  const cgroup = probeCgroup(tag);
  const prlimit = works('prlimit', ['--as=1073741824', 'true']);
  const setpriv = works('setpriv', ['--pdeathsig', 'KILL', 'true']);
  const notes: string[] = [];
  if (!bwrap) notes.push('bubblewrap is not installed (apt-get install bubblewrap): apps see the host filesystem and environment of the platform user' + (options.allowUnsandboxed ? '' : '; app deploys start but are not sandboxed'));
  if (!cgroup) notes.push(prlimit ? 'no writable cgroup memory controller: the memory limit is RLIMIT_AS (address space), and process count is not limited' : 'no cgroup memory controller and no prlimit: memory is not limited');
  notes.push(
    netns
      ? 'each app and node instance has its own network namespace: its outbound HTTP and HTTPS go through the platform\'s egress proxy under the rules of isolates, other protocols reach nothing (docs/apps.md)'
      : options.allowHostNetwork
        ? 'apps share the host network (chosen by --app-host-network): the loopback, private and metadata rules of isolates do not apply to their sockets (docs/apps.md)'
        : 'this host cannot give apps a network namespace (bubblewrap with --unshare-net), and on the host network the egress rules of isolates do not apply: app and node deploys are refused until the operator allows it with --app-host-network (docs/apps.md)',
  );
  return {
    sandbox: bwrap ? 'bubblewrap' : 'none',
    namespaces: bwrap ? ['user', 'mount', 'pid', 'ipc', 'uts', 'cgroup', ...(netns ? ['net'] : [])] : unshare ? ['pid'] : [],
    memoryLimit: cgroup ? (cgroup.version === 1 ? 'cgroup-v1' : 'cgroup-v2') : prlimit ? 'rlimit-as' : 'none',
    processLimit: cgroup && (cgroup.version === 2 || cgroup.pids) ? (cgroup.version === 1 ? 'cgroup-v1' : 'cgroup-v2') : 'none',
    dieWithPlatform: (bwrap || unshare) && setpriv ? 'pid-namespace' : 'none',
    network: netns ? 'namespace' : 'host',
    hostNetworkAllowed: options.allowHostNetwork === true,
    notes,
    cgroup,
    unshare,
    prlimit,
    setpriv,
    disableUserns,
  };
}

/** The report without internals, as the API and `nimbus up` show it. */
export function isolationReport(i: ProcessIsolation): Omit<ProcessIsolation, 'cgroup' | 'unshare' | 'prlimit' | 'setpriv' | 'disableUserns'> {
  const { cgroup: _c, unshare: _u, prlimit: _p, setpriv: _s, disableUserns: _d, ...shown } = i;
  return shown;
}
