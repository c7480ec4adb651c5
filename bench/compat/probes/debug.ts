import createDebug from 'debug';

export default function probe() {
  const lines: string[] = [];
  createDebug.enable('app:*,-app:secret');
  const log = createDebug('app:db');
  log.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  log('connected to %s in %dms', 'db1', 42);
  const quiet = createDebug('app:secret');
  const sub = log.extend('query');
  const result = {
    enabled: [log.enabled, quiet.enabled, createDebug.enabled('other'), createDebug('app:x').enabled],
    namespaces: [log.namespace, sub.namespace],
    logged: lines.length,
    // the line's prefix and how %s is filled differ by build (Node's or the browser's), the words do not
    message: lines.some((l) => l.includes('connected to') && l.includes('db1')),
    formatters: Object.keys(createDebug.formatters).sort(),
    humanize: createDebug.humanize(1500),
  };
  createDebug.disable();
  return result;
}
