/** `nimbus up`: run the platform in the foreground until SIGINT/SIGTERM. */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/config.ts';
import { systemClock } from '../../core/clock.ts';
import { isNimbusError } from '../../core/errors.ts';
import { startPlatform, type Platform } from '../../server/platform.ts';
import { defaultRuntime } from '../../server/runtime-choice.ts';
import { startBanner } from '../banner.ts';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

export async function up(argv: readonly string[]): Promise<number> {
  const config = loadConfig(process.env, argv, process.cwd());
  // Its stdout may be a pipe that closes (`nimbus up | head`): the platform runs and drains on regardless.
  process.stdout.on('error', () => {});
  let platform: Platform;
  try {
    platform = await startPlatform({ config, clock: systemClock, runtime: defaultRuntime, examplesDir: EXAMPLES });
  } catch (error) {
    // A start the platform refused and named (a directory in use, a taken port): its
    // message is the answer, exit 2; it has released what it took.
    if (!isNimbusError(error)) throw error;
    process.stderr.write(`nimbus: ${error.message}\n`);
    return 2;
  }
  const list = await fetch(`${platform.url}/api/v1/functions`, { headers: { authorization: `Bearer ${platform.token}` } });
  const { items } = (await list.json()) as { items: Array<{ name: string }> };
  process.stdout.write(startBanner({ url: platform.url, dataDir: config.dataDir, functions: items.map((f) => f.name) }));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`\n  ${signal}: draining in-flight work, then stopping…\n`);
      platform.stop().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
