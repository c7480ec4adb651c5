/** The platform's own log: pino JSON lines on stderr. */
import pino from 'pino';
import type { Config } from '../config/config.ts';

export type Logger = pino.Logger;

export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: { svc: 'nimbus' } }, pino.destination({ dest: 2, sync: false }));
}
