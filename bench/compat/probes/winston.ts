import winston from 'winston';
import Transport from 'winston-transport';

export default async function probe() {
  const lines: unknown[] = [];
  class Collect extends Transport {
    override log(info: Record<string | symbol, unknown>, next: () => void) {
      lines.push(info[Symbol.for('message')]);
      next();
    }
  }
  const logger = winston.createLogger({
    level: 'debug',
    defaultMeta: { svc: 'probe' },
    format: winston.format.combine(winston.format.timestamp({ format: () => '2024-02-29T12:34:56Z' }), winston.format.splat(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new Collect()],
  });
  logger.info('hello %s', 'world', { n: 1 });
  logger.debug('details', { list: [1, 2] });
  logger.silly('hidden');
  logger.child({ req: 'r1' }).warn('child');
  logger.error(new Error('boom'));
  await new Promise<void>((resolve) => {
    logger.on('finish', () => resolve());
    logger.end();
  });
  return lines;
}
