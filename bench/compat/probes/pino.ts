import pino from 'pino';

export default function probe() {
  const lines: string[] = [];
  // a destination of our own (a stream with write), the time function fixed: the lines are comparable
  const logger = pino({ base: { svc: 'probe' }, timestamp: () => ',"time":1709210096789', level: 'debug' }, { write: (s: string) => lines.push(s) });
  logger.info('hello');
  logger.debug({ user: 'ana', n: 2 }, 'with %s', 'args');
  logger.trace('hidden');
  const child = logger.child({ req: 'r1' });
  child.warn({ err: new Error('boom') }, 'failed');
  return lines.map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    if (o.err) (o.err as { stack?: string }).stack = 'stack';
    return o;
  });
}
