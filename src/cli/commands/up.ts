/** `nimbus up`: run the platform in the foreground until SIGINT/SIGTERM. */
import { join } from 'node:path';
import { loadConfig } from '../../config/config.ts';
import { systemClock } from '../../core/clock.ts';
import { isNimbusError } from '../../core/errors.ts';
import { startPlatform, type Platform } from '../../server/platform.ts';
import { defaultRuntime } from '../../server/runtime-choice.ts';
import { startBanner } from '../banner.ts';
import { installDir } from '../install-dir.ts';

export async function up(argv: readonly string[]): Promise<number> {
  const config = loadConfig(process.env, argv, process.cwd());
  // Its stdout may be a pipe that closes (`nimbus up | head`): the platform runs and drains on regardless.
  process.stdout.on('error', () => {});
  let platform: Platform;
  try {
    platform = await startPlatform({ config, clock: systemClock, runtime: defaultRuntime, examplesDir: join(installDir(), 'examples'), consoleDir: join(installDir(), 'dist', 'console') });
  } catch (error) {
    // A start the platform refused and named (a directory in use, a taken port): its
    // message is the answer, exit 2; it has released what it took.
    if (!isNimbusError(error)) throw error;
    process.stderr.write(`nimbus: ${error.message}\n`);
    return 2;
  }
  const list = await fetch(`${platform.url}/api/v1/functions`, { headers: { authorization: `Bearer ${platform.token}` } });
  const { items } = (await list.json()) as { items: Array<{ name: string }> };
  const runtimes = await fetch(`${platform.url}/api/v1/runtimes`, { headers: { authorization: `Bearer ${platform.token}` } });
  const apps = ((await runtimes.json()) as { items: Array<{ kind: string; isolation?: AppIsolation }> }).items.find((r) => r.kind === 'app')?.isolation;
  process.stdout.write(startBanner({ url: platform.url, dataDir: config.dataDir, functions: items.map((f) => f.name), ...(apps ? { apps: appsLine(apps) } : {}), console: config.console }));
  await stopOnSignal(platform);
  return 0;
}

interface AppIsolation {
  sandbox: string;
  memoryLimit: string;
  dieWithPlatform: string;
  network: string;
  hostNetworkAllowed: boolean;
}

/** What app and node processes get here, in one line (`nimbus runtimes` says more). */
export function appsLine(i: AppIsolation): string {
  return [
    `sandbox ${i.sandbox}`,
    `memory limit ${i.memoryLimit}`,
    i.dieWithPlatform === 'none' ? 'may outlive a kill -9' : 'die with the platform',
    i.network === 'namespace'
      ? 'network namespace, egress through the platform\'s proxy'
      : i.hostNetworkAllowed
        ? 'host network (--app-host-network)'
        : 'off until --app-host-network (no network namespace here: they would share the host network)',
  ].join(' · ');
}

/**
 * Waits for the signal to stop, then drains. Ctrl-C in a terminal signals the whole process
 * group once; a second Ctrl-C while draining stops at once (exit 130). When the `nimbus`
 * command that started this process (bin/nimbus.mjs, which forwards its signals here) is
 * gone, its IPC channel closes, and the platform drains and stops too.
 */
function stopOnSignal(platform: Platform): Promise<void> {
  return new Promise<void>((resolve) => {
    let draining = false;
    const stop = (why: string) => {
      if (draining) {
        if (why !== 'SIGINT') return;
        process.stdout.write('\n  SIGINT again: stopping now, without waiting for in-flight work\n');
        process.exit(130);
      }
      draining = true;
      process.stdout.write(`\n  ${why}: draining in-flight work, then stopping… (Ctrl-C again to stop at once)\n`);
      platform.stop().then(resolve, resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', () => stop('SIGHUP'));
    if (process.channel !== undefined) {
      process.channel.unref();
      process.on('disconnect', () => stop('the nimbus command that started this platform is gone'));
    }
  });
}
