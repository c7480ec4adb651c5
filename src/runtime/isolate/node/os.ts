/** `os`: harmless constants; nothing of the host (its name, CPUs, memory, users, network) reaches a function. */
export const EOL = '\n';
export const devNull = '/dev/null';
export const arch = (): string => 'x64';
export const machine = (): string => 'x86_64';
export const platform = (): string => 'linux';
export const type = (): string => 'Linux';
export const release = (): string => '';
export const version = (): string => '';
export const hostname = (): string => 'localhost';
export const homedir = (): string => '/';
export const tmpdir = (): string => '/tmp';
export const endianness = (): 'LE' => 'LE';
export const uptime = (): number => 0;
export const loadavg = (): number[] => [0, 0, 0];
export const availableParallelism = (): number => 1;
export const cpus = (): Array<{ model: string; speed: number; times: Record<string, number> }> => [
  { model: 'nimbus', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } },
];
export const totalmem = (): number => 0;
export const freemem = (): number => 0;
export const networkInterfaces = (): Record<string, never> => ({});
export const userInfo = () => ({ uid: -1, gid: -1, username: 'nimbus', homedir: '/', shell: null });
export const getPriority = (): number => 0;
export const setPriority = (): void => {
  throw new Error('os.setPriority() is not available in a function');
};
export const constants = Object.freeze({
  signals: Object.freeze({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }),
  errno: Object.freeze({ EACCES: 13, EEXIST: 17, ENOENT: 2, ENOTDIR: 20, EISDIR: 21, EINVAL: 22 }),
  priority: Object.freeze({ PRIORITY_LOW: 19, PRIORITY_BELOW_NORMAL: 10, PRIORITY_NORMAL: 0, PRIORITY_ABOVE_NORMAL: -7, PRIORITY_HIGH: -14, PRIORITY_HIGHEST: -20 }),
});

export default {
  EOL, devNull, arch, machine, platform, type, release, version, hostname, homedir, tmpdir, endianness, uptime, loadavg,
  availableParallelism, cpus, totalmem, freemem, networkInterfaces, userInfo, getPriority, setPriority, constants,
};
