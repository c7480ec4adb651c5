/** The Nimbus function that runs one probe: its entry file, importing the probe by path. */
import { fileURLToPath } from 'node:url';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** The source of index.ts for probes/<probe>.ts: GET answers the probe's Outcome as JSON. */
export function wrapperSource(probe: string): string {
  if (!/^[a-z0-9-]+$/.test(probe)) throw new Error(`compat: bad probe name ${probe}`);
  return [
    `import probe from ${JSON.stringify(here(`./probes/${probe}.ts`))};`,
    `import { settle } from ${JSON.stringify(here('./outcome.ts'))};`,
    'export default {',
    '  async fetch(): Promise<Response> {',
    "    return new Response(JSON.stringify(await settle(probe)), { headers: { 'content-type': 'application/json' } });",
    '  },',
    '};',
    '',
  ].join('\n');
}
