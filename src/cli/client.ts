/**
 * The CLI's way to the platform: the REST API only. Finds the URL and the token: flags,
 * then NIMBUS_URL (or NIMBUS_PORT) / NIMBUS_TOKEN, then the local data directory's `url`
 * file (written by a running platform; else http://127.0.0.1:8080) and `token` file; the data
 * directory is looked for in the current folder and the folders above it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './args.ts';

export interface ClientOptions {
  readonly url: string;
  /** Where the URL came from, when not from a flag or the environment (for error messages). */
  readonly urlSource?: string;
  readonly token: string | null;
  readonly tokenSource: string;
  /** Where a running platform's data directory was looked for, when none was found and the URL is the default. */
  readonly searched?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Record<string, unknown>,
  ) {
    super(String(problem.detail ?? problem.title ?? `HTTP ${status}`));
  }
}

export class ConnectError extends Error {}

/** The URL a running local platform wrote into its data directory, if any. */
function readUrlFile(dataDir: string): string | null {
  try {
    const url = readFileSync(join(dataDir, 'url'), 'utf8').trim();
    return /^https?:\/\//.test(url) ? url : null;
  } catch {
    return null;
  }
}

/**
 * Whether a data directory found by looking (not named by the user) is the user's own: the
 * folder and its token owned by this user and not writable by every user. Another user's
 * `.nimbus` planted in a shared folder above (/tmp) would otherwise send this user's token,
 * code or secrets to a URL of theirs.
 */
function ownDataDir(dir: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  try {
    return [dir, join(dir, 'token')].every((path) => {
      const st = statSync(path);
      return st.uid === uid && (st.mode & 0o002) === 0;
    });
  } catch {
    return false;
  }
}

/**
 * The data directory a client command reads: the one named (flag, NIMBUS_DATA), else the
 * nearest `.nimbus` of this user with a token in this folder or one above it (a platform
 * started in a project's folder is found from its sub-folders), else none: `./.nimbus` is
 * named in messages, and nothing of a `.nimbus` that is not this user's own is read.
 */
function findDataDir(named: string | undefined, cwd: string): { dir: string; found: boolean; searched: string | null } {
  if (named !== undefined) return { dir: resolve(cwd, named), found: true, searched: null };
  const skipped: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, '.nimbus');
    if (existsSync(join(candidate, 'token'))) {
      if (ownDataDir(candidate)) return { dir: candidate, found: true, searched: null };
      skipped.push(candidate);
    }
    if (dirname(dir) === dir) break;
  }
  const also = skipped.length === 0 ? '' : `; skipped ${skipped.join(', ')}: not yours, or writable by others`;
  return { dir: resolve(cwd, '.nimbus'), found: false, searched: `.nimbus/token in ${resolve(cwd)} and every folder above it${also}` };
}

export function resolveClient(flags: { url?: string; token?: string; data?: string }, env: NodeJS.ProcessEnv, cwd: string): ClientOptions {
  const { dir: dataDir, found, searched } = findDataDir(flags.data ?? (env.NIMBUS_DATA || undefined), cwd);
  // an empty variable counts as unset
  const fromEnv = env.NIMBUS_URL || (env.NIMBUS_PORT ? `http://127.0.0.1:${env.NIMBUS_PORT}` : undefined);
  const written = (flags.url ?? fromEnv) !== undefined || !found ? null : readUrlFile(dataDir);
  const url = (flags.url ?? fromEnv ?? written ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(url) || !URL.canParse(url)) {
    const source = flags.url !== undefined ? '--url' : fromEnv !== undefined ? (env.NIMBUS_URL ? 'NIMBUS_URL' : 'NIMBUS_PORT') : join(dataDir, 'url');
    throw new UsageError(`${source} gives ${JSON.stringify(url)}, which is not an http(s) URL; e.g. --url http://127.0.0.1:8080`);
  }
  const where =
    written !== null ? { urlSource: join(dataDir, 'url') } : searched !== null && (flags.url ?? fromEnv) === undefined ? { searched } : {};
  if (flags.token) return { url, ...where, token: flags.token, tokenSource: '--token' };
  if (env.NIMBUS_TOKEN) return { url, ...where, token: env.NIMBUS_TOKEN, tokenSource: 'NIMBUS_TOKEN' };
  const file = join(dataDir, 'token');
  if (found && existsSync(file)) return { url, ...where, token: readFileSync(file, 'utf8').trim(), tokenSource: file };
  return { url, ...where, token: null, tokenSource: searched ?? file };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export async function call(client: ClientOptions, method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (client.token) headers.authorization = `Bearer ${client.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, extraHeaders);
  let res: Response;
  try {
    res = await fetch(client.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new ConnectError(
      `cannot reach Nimbus at ${client.url} (${code}${client.urlSource ? `; the URL came from ${client.urlSource}, left by a platform that may have stopped` : ''}${client.searched ? `; the default URL: no running platform's data directory found, looked for ${client.searched}` : ''}). Start it with \`npm start\` (or \`nimbus up\`), or point NIMBUS_URL at it.`,
    );
  }
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let parsed: unknown = text;
  if (/json/.test(type) && text !== '') parsed = JSON.parse(text);
  if (!res.ok) {
    const problem = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { detail: text };
    if (res.status === 401 && client.token === null) {
      problem.detail = `${String(problem.detail)} (no token found: looked for ${client.tokenSource}; pass --data-dir DIR, --token or NIMBUS_TOKEN)`;
    }
    throw new ApiError(res.status, problem);
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
