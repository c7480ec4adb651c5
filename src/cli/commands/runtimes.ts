/** `nimbus runtimes`: the runtimes the platform runs and what it enforces on app processes. */
import { has, onlyFlags, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson } from '../format.ts';

interface RuntimeView {
  kind: string;
  description: string;
  isolation?: { sandbox: string; namespaces: string[]; memoryLimit: string; processLimit: string; dieWithPlatform: string; network: string; notes: string[] };
}

export async function runtimes(client: ClientOptions, args: ParsedArgs): Promise<number> {
  onlyFlags(args, ['json']);
  const { items } = (await call(client, 'GET', '/api/v1/runtimes')).body as { items: RuntimeView[] };
  if (has(args, 'json')) return (printJson(items), 0);
  for (const r of items) {
    print(`${r.kind}: ${r.description}`);
    const i = r.isolation;
    if (!i) continue;
    print(`  sandbox ${i.sandbox}${i.namespaces.length ? ` (namespaces: ${i.namespaces.join(', ')})` : ''}; memory limit ${i.memoryLimit}; process limit ${i.processLimit}`);
    print(`  processes die with the platform: ${i.dieWithPlatform}; network: ${i.network}`);
    for (const n of i.notes) print(`  note: ${n}`);
  }
  return 0;
}
