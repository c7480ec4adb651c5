/**
 * Starting the platform in this process: a start that fails part-way (a taken port) gives a
 * clear error and releases what it took, the data directory's lock first; a second platform
 * on a directory in use is refused while the first one runs, and starts once it stopped.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/config.ts';
import { systemClock } from '../core/clock.ts';
import { isNimbusError } from '../core/errors.ts';
import { createIsolateRuntime } from '../runtime/isolate/index.ts';
import { createLogger } from './logger.ts';
import { startPlatform } from './platform.ts';

const start = (dataDir: string, port: number) =>
  startPlatform({
    config: loadConfig({}, ['--port', String(port), '--data', dataDir, '--no-examples'], '/'),
    clock: systemClock,
    runtime: (clock) => createIsolateRuntime({ clock, spares: 0 }),
    logger: createLogger('silent'),
  });

test('a failed start releases the data directory; a directory in use is refused until its platform stops', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-start-'));
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  try {
    const port = (taken.address() as AddressInfo).port;
    await assert.rejects(start(dataDir, port), (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_ADDRESS_IN_USE' && /is in use/.test(e.message));
    const first = await start(dataDir, 0); // the failed start left nothing locked
    try {
      await assert.rejects(start(dataDir, 0), (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_DATA_DIR_IN_USE');
    } finally {
      await first.stop();
    }
    const again = await start(dataDir, 0);
    await again.stop();
  } finally {
    taken.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
