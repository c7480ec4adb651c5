/**
 * The command line that starts one app instance, as a value: join the instance's cgroups
 * (a shell writes its own pid, then execs, so nothing runs outside them), then either
 * bubblewrap (namespaces, none of the app's own, a read-only /app, a private /tmp, nothing else of the host's
 * files but the system directories, the declared env only, dies with the platform) or
 * unshare (a pid namespace whose processes all die with the platform), then /bin/sh -c.
 * Where the host gives network namespaces (isolation `network: 'namespace'`) bubblewrap
 * also makes a new one (only a loopback inside), and an app is started by the connector
 * (connector/connector.mjs, read-only at /run/nimbus), the platform's only way in and out:
 * it dials the app's port for the platform and hands outbound proxy connections over.
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import type { ProcessIsolation } from './isolation.ts';

export interface LaunchInput {
  readonly appDir: string;
  readonly command: string;
  /** The app's declared variables plus PORT and HOST. */
  readonly env: Readonly<Record<string, string>>;
  readonly memoryBytes: number;
  readonly cgroupProcs: readonly string[];
  /** An app in a network namespace: the connector starts it (its IPC channel is the child's fd 3). */
  readonly connector?: ConnectorInput;
  /** More host directories the sandbox shows read-only (a node function's packages); without bubblewrap the process reads them where they are. */
  readonly readOnly?: ReadonlyArray<{ readonly host: string; readonly at: string }>;
  /** The pid of the process that spawns the launcher (default: this one, the platform). */
  readonly parentPid?: number;
}

export interface ConnectorInput {
  /** The directory of connector.mjs on the host. */
  readonly dir: string;
  /** The app's port inside its namespace (its PORT). */
  readonly appPort: number;
  /** Where the connector takes the app's outbound HTTP(S) proxy connections, inside the namespace. */
  readonly proxyPort: number;
}

/** Where the connector's directory is mounted in the sandbox. */
export const CONNECTOR_MOUNT = '/run/nimbus';

/** The proxy variables an app in a network namespace gets (both cases: programs read one or the other). */
export function proxyEnv(proxyPort: number): Record<string, string> {
  const url = `http://127.0.0.1:${proxyPort}`;
  return { HTTP_PROXY: url, HTTPS_PROXY: url, ALL_PROXY: url, http_proxy: url, https_proxy: url, all_proxy: url };
}

export interface LaunchPlan {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Launchers between the platform and the app, left out when the app is asked to stop (they would die at once and take it along). */
export const LAUNCHER_NAMES = new Set(['bwrap', 'unshare', 'prlimit', 'setpriv']);

/** System files an interpreter needs (libraries, certificates, name resolution), read-only. */
const ETC = [
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'resolv.conf', 'hosts', 'nsswitch.conf', 'host.conf', 'gai.conf', 'protocols', 'services',
  'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki', 'localtime', 'passwd', 'group', 'mime.types', 'alternatives',
];

function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(top)) continue;
    const st = lstatSync(top);
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  for (const name of ETC) if (existsSync(`/etc/${name}`)) args.push('--ro-bind', `/etc/${name}`, `/etc/${name}`);
  return args;
}

let systemBindsCache: string[] | null = null;

export function launchPlan(iso: ProcessIsolation, input: LaunchInput): LaunchPlan {
  const netns = iso.sandbox === 'bubblewrap' && iso.network === 'namespace';
  const connector = netns ? input.connector : undefined;
  const env = { PATH, HOME: iso.sandbox === 'bubblewrap' ? '/tmp' : input.appDir, LANG: 'C.UTF-8', ...input.env, ...(connector ? proxyEnv(connector.proxyPort) : {}) };
  let shell = ['/bin/sh', '-c', input.command];
  let inner: string[];
  let cwd = input.appDir;
  if (iso.sandbox === 'bubblewrap') {
    systemBindsCache ??= systemBinds();
    const setenv = Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]);
    const network: string[] = [];
    if (netns) network.push('--unshare-net');
    if (connector) {
      network.push('--ro-bind', connector.dir, CONNECTOR_MOUNT, '--setenv', 'NODE_CHANNEL_FD', '3');
      shell = ['node', `${CONNECTOR_MOUNT}/connector.mjs`, String(connector.appPort), String(connector.proxyPort), input.command];
    }
    inner = [
      'bwrap', '--die-with-parent', '--unshare-user', ...(iso.disableUserns ? ['--disable-userns'] : []), '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'app',
      ...systemBindsCache, '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--ro-bind', input.appDir, '/app',
      ...(input.readOnly ?? []).flatMap((b) => ['--ro-bind', b.host, b.at]), '--chdir', '/app',
      '--clearenv', ...setenv, ...network, '--', ...shell,
    ];
    cwd = '/';
  } else if (iso.unshare) {
    inner = ['unshare', '--pid', '--fork', '--kill-child=SIGKILL', '--', ...shell];
  } else inner = shell;
  // Without a memory cgroup the address space is limited instead (with room for the runtime's own reservations).
  if (!iso.cgroup && iso.prlimit) inner = ['prlimit', `--as=${input.memoryBytes}`, '--', ...inner];
  // The launcher gets SIGKILL when the platform dies, however it dies; its pid namespace takes the app along.
  // The signal comes only if the platform was still its parent when it was set: a launcher whose
  // platform died just before finds another parent and stops there, instead of running on orphaned.
  if (iso.setpriv) {
    const parent = String(input.parentPid ?? process.pid);
    inner = ['setpriv', '--pdeathsig', 'KILL', '--', '/bin/sh', '-c', '[ "$PPID" = "$1" ] || exit 125; shift; exec "$@"', 'nimbus-parent', parent, ...inner];
  }
  if (input.cgroupProcs.length > 0) {
    const join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';
    inner = ['/bin/sh', '-c', join, 'nimbus-launch', String(input.cgroupProcs.length), ...input.cgroupProcs, ...inner];
  }
  return { file: inner[0], args: inner.slice(1), env, cwd };
}
