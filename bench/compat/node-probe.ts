/**
 * `node --import tsx bench/compat/node-probe.ts <probe file>`: runs one probe in plain Node
 * (its own process, so no probe sees another's globals) and prints its Outcome as one JSON line.
 */
import { pathToFileURL } from 'node:url';
import { settle } from './outcome.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node-probe.ts <probe file>\n');
  process.exit(2);
}
const outcome = await settle(async () => {
  const mod = (await import(pathToFileURL(file).href)) as { default: () => unknown };
  return mod.default();
});
process.stdout.write(JSON.stringify(outcome) + '\n');
// Some packages leave handles open (a pool's timers): the answer is out, so stop here.
process.exit(0);
