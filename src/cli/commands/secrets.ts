/**
 * `nimbus secrets set <name> <SECRET>` (the value from stdin, or a hidden prompt on a
 * terminal; never a flag: flags land in shell history and the process list),
 * `secrets ls <name>` (names only), `secrets rm <name> <SECRET>`.
 */
import { has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson } from '../format.ts';

const path = (fn: string, secret?: string) => `/api/v1/functions/${encodeURIComponent(fn)}/secrets${secret === undefined ? '' : `/${encodeURIComponent(secret)}`}`;

/** All of stdin (one trailing newline dropped, as `echo` adds it), or a prompt with no echo on a terminal. */
async function readValue(name: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write(`value of ${name}: `);
    stdin.setRawMode(true);
    return new Promise((resolve, reject) => {
      let value = '';
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            done();
            return resolve(value);
          }
          if (ch === '\u0003') {
            done();
            return reject(new UsageError('cancelled'));
          }
          if (ch === '\u007f') value = value.slice(0, -1);
          else value += ch;
        }
      };
      const done = () => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        process.stderr.write('\n');
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function secrets(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, fn, name] = args.positionals;
  if (sub === 'ls') {
    onlyFlags(args, ['json']);
    if (!fn) throw new UsageError('usage: nimbus secrets ls <function>');
    const list = (await call(client, 'GET', path(fn))).body as { version: number; items: { name: string }[] };
    if (has(args, 'json')) return (printJson(list), 0);
    if (list.items.length === 0) return (print(`${fn} (version ${list.version}) has no secrets`), 0);
    for (const s of list.items) print(s.name);
    return 0;
  }
  if (sub === 'set') {
    onlyFlags(args, []);
    if (!fn || !name) throw new UsageError('usage: nimbus secrets set <function> <NAME>   (the value is read from stdin or a prompt)');
    const value = await readValue(name);
    if (value === '') throw new UsageError('the value is empty: pipe it in (printf %s "$VALUE" | nimbus secrets set …) or type it at the prompt');
    const out = (await call(client, 'PUT', path(fn, name), { value })).body as { version: number; created: boolean };
    print(out.created ? `${fn}: secret ${name} set in version ${out.version}` : `${fn}: secret ${name} unchanged (version ${out.version})`);
    return 0;
  }
  if (sub === 'rm') {
    onlyFlags(args, []);
    if (!fn || !name) throw new UsageError('usage: nimbus secrets rm <function> <NAME>');
    const out = (await call(client, 'DELETE', path(fn, name))).body as { version: number };
    print(`${fn}: secret ${name} removed in version ${out.version}`);
    return 0;
  }
  throw new UsageError('usage: nimbus secrets ls|set|rm <function> …');
}
