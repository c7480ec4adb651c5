/** Minimal argv parsing for the CLI: positionals, `--flag value`, `--flag=value`, repeatable flags, booleans. */
import { readFileSync } from 'node:fs';
export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Map<string, string[]>;
  /**
   * A flag that ended the command line where a value was due. Parsing does not know the
   * command's flags, so it cannot tell a known flag missing its value from an unknown one:
   * `onlyFlags` reports an unknown one as unknown, reading a known one says it needs a value.
   */
  readonly valueMissing?: string;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], booleans: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  let valueMissing: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (booleans.has(name)) value = 'true';
    else if (i + 1 < argv.length) value = argv[++i];
    else {
      valueMissing = name;
      break;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return valueMissing === undefined ? { positionals, flags } : { positionals, flags, valueMissing };
}

function needsValue(name: string): UsageError {
  return new UsageError(`--${name} needs a value`);
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  if (name === args.valueMissing) throw needsValue(name);
  const values = args.flags.get(name);
  return values === undefined ? undefined : values[values.length - 1];
}

/** A boolean flag: present, and not `--name=false` (or `=0`, `=no`, `=off`). */
export function has(args: ParsedArgs, name: string): boolean {
  const value = flag(args, name);
  return value !== undefined && !/^(false|0|no|off)$/i.test(value);
}

/**
 * A value given inline or as `@file` (the file's text). A file that cannot be read is a
 * usage error naming the flag, not a crash.
 */
export function inlineOrFile(raw: string, what: string): string {
  if (!raw.startsWith('@')) return raw;
  try {
    return readFileSync(raw.slice(1), 'utf8');
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${raw.slice(1)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** JSON given inline or as `@file`; `example` shows the right form in the error. */
export function jsonArg(raw: string, what: string, example: string): unknown {
  const text = inlineOrFile(raw, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON (${(error as Error).message}); e.g. ${example}`);
  }
}

/** Rejects flags the command does not know, naming the ones it does, wherever they stand; then a known one left without its value. */
export function onlyFlags(args: ParsedArgs, allowed: readonly string[]): void {
  const names = args.valueMissing === undefined ? args.flags.keys() : [...args.flags.keys(), args.valueMissing];
  for (const name of names) {
    if (!allowed.includes(name)) {
      throw new UsageError(`unknown flag --${name}; this command takes ${allowed.map((a) => '--' + a).join(' ') || 'no flags'}`);
    }
  }
  if (args.valueMissing !== undefined) throw needsValue(args.valueMissing);
}
