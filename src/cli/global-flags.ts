import { UsageError } from './args.ts';

/** Flags that may also stand before the command (`nimbus --data X ls`), and whether each takes a value. */
const GLOBAL_FLAGS: ReadonlyMap<string, boolean> = new Map([
  ['url', true],
  ['token', true],
  ['data', true],
  ['data-dir', true],
  ['json', false],
  ['help', false],
]);

/**
 * Splits the flags given before the command from the command and its own arguments. Before
 * the command `--data` is the data directory for every command (after `invoke` it is the event).
 */
export function splitGlobalFlags(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  const leading: Array<{ name: string; value: string | undefined }> = [];
  let i = 0;
  while (i < argv.length && argv[i].startsWith('--') && argv[i] !== '--') {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const takesValue = GLOBAL_FLAGS.get(name);
    if (takesValue === undefined) {
      if (name === 'version') break;
      throw new UsageError(`--${name} goes after the command (nimbus <command> --${name} …); before it only ${[...GLOBAL_FLAGS.keys()].map((f) => '--' + f).join(' ')}`);
    }
    if (eq !== -1) leading.push({ name, value: arg.slice(eq + 1) });
    else if (!takesValue) leading.push({ name, value: undefined });
    else if (i + 1 < argv.length) leading.push({ name, value: argv[++i] });
    else throw new UsageError(`--${name} needs a value`);
    i += 1;
  }
  const command = argv[i] ?? (leading.some((f) => f.name === 'help') ? 'help' : undefined);
  const dataFlag = command === 'up' || command === 'token' ? 'data' : 'data-dir';
  const flags = leading.map(({ name, value }) => `--${name === 'data' ? dataFlag : name}${value === undefined ? '' : '=' + value}`);
  return { command, rest: [...flags, ...argv.slice(i + 1)] };
}

