/**
 * The console's only way to the platform: the public REST API under /api/v1, with the
 * token as a bearer header. An error answer is an RFC 7807 problem, thrown as ApiError so
 * pages show its title, detail and code as the API gave them.
 */
import { clearToken, getToken } from './session.ts';

export interface Problem {
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code?: string;
  readonly type?: string;
  readonly [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** Called when the API refuses the token (401): the app goes back to its login. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export function authHeaders(token = getToken()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const p = JSON.parse(text) as Problem;
    if (p && typeof p.title === 'string') return p;
  } catch {
    // not JSON: described below
  }
  return { title: res.statusText || 'Request failed', status: res.status, detail: text.slice(0, 500) || `HTTP ${res.status}` };
}

export async function request(path: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<Response> {
  const { json, token, ...rest } = init;
  const headers: Record<string, string> = { ...authHeaders(token), ...(rest.headers as Record<string, string> | undefined) };
  if (json !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { ...rest, headers, credentials: 'omit', ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  } catch (error) {
    throw new ApiError({ title: 'Platform unreachable', status: 0, detail: `${(error as Error).message}; is \`nimbus up\` still running?`, code: 'NETWORK' });
  }
  if (!res.ok) {
    const problem = await problemOf(res);
    if (res.status === 401 && token === undefined) {
      clearToken();
      onUnauthorized();
    }
    throw new ApiError(problem);
  }
  return res;
}

/** JSON from the API (null for 204). */
export async function api<T>(path: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<T> {
  const res = await request(path, init);
  if (res.status === 204) return null as T;
  return (await res.json()) as T;
}

export const enc = encodeURIComponent;

/**
 * Server-Sent Events read with fetch (EventSource cannot send the bearer header, and the
 * token must not go in the URL). Calls `onEvent` per event until `signal` aborts.
 */
export async function followEvents(path: string, signal: AbortSignal, onEvent: (event: string, data: string) => void): Promise<void> {
  const res = await request(path, { signal, headers: { accept: 'text/event-stream' } });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(event, data.join('\n'));
    }
  }
}

/** Saves an API answer as a file (e.g. usage CSV): fetched with the token, handed to the browser as a blob. */
export async function download(path: string, filename: string, accept: string): Promise<void> {
  const res = await request(path, { headers: { accept } });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
