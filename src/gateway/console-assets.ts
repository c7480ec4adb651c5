/**
 * The web console's files (built by `npm run build` into dist/console), served under
 * /console. Read and compressed once at start, so a request is a lookup: hashed files
 * under /console/assets/ are immutable for a year, every other path is the app's
 * index.html (the console routes in the browser), never cached, with a strict
 * Content-Security-Policy: scripts, styles and connections only from this origin, no
 * inline script, no eval, no framing. The files carry no data: the console asks the API
 * for everything with the token the user logs in with.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { NimbusError } from '../core/errors.ts';
import { sendProblem } from './problem.ts';

export const CONSOLE_PREFIX = '/console';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
} as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface Asset {
  readonly type: string;
  readonly etag: string;
  readonly identity: Buffer;
  readonly gzip: Buffer | null;
  readonly br: Buffer | null;
  readonly cacheControl: string;
}

function load(file: string, cacheControl: string): Asset {
  const identity = readFileSync(file);
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && identity.length > 256;
  return {
    type,
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    identity,
    gzip: compressible ? gzipSync(identity, { level: 9 }) : null,
    br: compressible ? brotliCompressSync(identity) : null,
    cacheControl,
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** The handler for /console, or one that answers a problem saying how to build it when `dir` has no build. */
export function createConsoleHandler(dir: string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    return async (req, res) => {
      sendProblem(res, new NimbusError('NIMBUS_ERR_NOT_FOUND', `the console is not built (no ${index}); run \`npm run build\` in the checkout`), req.url ?? CONSOLE_PREFIX);
    };
  }
  const assets = new Map<string, Asset>();
  let app: Asset;
  try {
    for (const file of walk(dir)) {
      const rel = relative(dir, file).split(sep).join('/');
      if (rel === 'index.html') continue;
      // Vite names what it emits under assets/ by content hash: a new build is a new name.
      const immutable = rel.startsWith('assets/');
      assets.set(`${CONSOLE_PREFIX}/${rel}`, load(file, immutable ? 'public, max-age=31536000, immutable' : 'no-cache'));
    }
    app = load(index, 'no-cache');
  } catch (error) {
    // A build swapped in while this start read it: the platform starts, the console says so.
    const why = `the console's files in ${dir} could not be read (${(error as Error).message}); restart the platform`;
    return async (req, res) => sendProblem(res, new NimbusError('NIMBUS_ERR_NOT_FOUND', why), req.url ?? CONSOLE_PREFIX);
  }

  return async (req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? CONSOLE_PREFIX;
    const path = url.split('?')[0];
    if (method !== 'GET' && method !== 'HEAD') {
      sendProblem(res, new NimbusError('NIMBUS_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; the console's files are read with GET`, { extra: { allow: ['GET', 'HEAD'] } }), path);
      return;
    }
    if (path === CONSOLE_PREFIX) {
      res.writeHead(308, { location: `${CONSOLE_PREFIX}/${url.slice(path.length)}` });
      res.end();
      return;
    }
    let asset = assets.get(path);
    if (!asset) {
      // A missing file (a path with an extension, or under assets/) is a 404; any other path is a page of the app.
      if (path.startsWith(`${CONSOLE_PREFIX}/assets/`) || /\.[a-z0-9]+$/i.test(path)) {
        sendProblem(res, new NimbusError('NIMBUS_ERR_NOT_FOUND', `the console has no file ${path}`), path);
        return;
      }
      asset = app;
    }
    send(req, res, asset, method === 'HEAD');
  };
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset, head: boolean): void {
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'content-type': asset.type,
    'cache-control': asset.cacheControl,
    etag: asset.etag,
    vary: 'accept-encoding',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const accept = String(req.headers['accept-encoding'] ?? '');
  let body = asset.identity;
  if (asset.br && /\bbr\b/.test(accept)) {
    body = asset.br;
    headers['content-encoding'] = 'br';
  } else if (asset.gzip && /\bgzip\b/.test(accept)) {
    body = asset.gzip;
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(head ? undefined : body);
}
