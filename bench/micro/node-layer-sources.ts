/** The functions the Node-layer micro-benchmarks start (node-layer.ts, node-layer-phases.ts), and their bundles and calls. */
import type { giveNodeEnv } from '../../src/runtime/isolate/node-env.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import type { InstanceCall } from '../../src/runtime/port.ts';

export const SOURCES: Record<string, string> = {
  baseline: `export default { fetch: () => new Response('hello world') };`,
  fs: `import fs from 'node:fs'; export default { fetch: () => { fs.writeFileSync('/tmp/x', 'y'); return new Response(fs.readFileSync('/tmp/x', 'utf8')); } };`,
  stream: `import { Readable } from 'node:stream'; export default { fetch: () => new Response(typeof Readable) };`,
  crypto: `import crypto from 'node:crypto'; export default { fetch: () => new Response(crypto.createHash('sha256').update('hi').digest('hex')) };`,
  // jsonwebtoken / jws: crypto with buffer, stream, events and util
  jwt: `import crypto from 'node:crypto'; import { Buffer } from 'node:buffer'; import { Stream } from 'node:stream'; import { EventEmitter } from 'node:events'; import util from 'node:util';
    export default { fetch: () => new Response(util.format('%s %s %s', crypto.createHmac('sha256', 'k').update(Buffer.from('hi')).digest('base64'), typeof Stream, typeof EventEmitter)) };`,
  // pg / ioredis: sockets, TLS, crypto and DNS with stream and events
  pg: `import net from 'node:net'; import tls from 'node:tls'; import crypto from 'node:crypto'; import dns from 'node:dns'; import { Duplex } from 'node:stream'; import { EventEmitter } from 'node:events';
    export default { fetch: () => new Response([typeof net.Socket, typeof tls.connect, crypto.randomBytes(4).length, typeof dns.lookup, typeof Duplex, typeof EventEmitter].join(' ')) };`,
  // a driver that also names os, perf_hooks and diagnostics_channel (nodemailer, undici-style tracing): the modules the whole layer evaluates on first use
  drivers: `import net from 'node:net'; import tls from 'node:tls'; import crypto from 'node:crypto'; import os from 'node:os'; import { performance } from 'node:perf_hooks'; import dc from 'node:diagnostics_channel';
    export default { fetch: () => new Response([typeof net.Socket, typeof tls.connect, crypto.randomBytes(4).length, os.hostname(), typeof performance.now(), dc.hasSubscribers('x')].join(' ')) };`,
  zlib: `import zlib from 'node:zlib'; export default { fetch: () => new Response(zlib.gunzipSync(zlib.gzipSync('hello')).toString()) };`,
  buffer: `import { Buffer } from 'node:buffer';
    export default { fetch: () => new Response(Buffer.from(process.env.GREETING ?? '').toString('base64')) };`,
  full: `import { Buffer } from 'node:buffer'; import { EventEmitter } from 'node:events'; import util from 'node:util';
    import { Readable } from 'node:stream'; import { StringDecoder } from 'node:string_decoder'; import path from 'node:path';
    import url from 'node:url'; import assert from 'node:assert'; import fs from 'node:fs'; import { AsyncLocalStorage } from 'node:async_hooks';
    const als = new AsyncLocalStorage();
    export default { fetch: () => als.run(1, async () => {
      assert.ok(new EventEmitter()); fs.writeFileSync('/tmp/x', 'y');
      return new Response(util.format('%s %s %s %s %s', Buffer.from('hi').toString('hex'), typeof Readable, new StringDecoder().write(Buffer.from('a')), path.join('a', 'b'), url.parse('http://x/y').pathname));
    }) };`,
  // Web globals bundled only where named (not the Node layer, measured here the same way)
  urlpattern: `const p = new URLPattern({ pathname: '/fn/:name' }); export default { fetch: (r) => new Response(p.exec(r.url)?.pathname.groups.name ?? '') };`,
  eventsource: `export default { fetch: () => new Response(typeof EventSource) };`,
};

/**
 * Each function bundled as a deploy bundles it; `sharedLayer: false` (the default here) with the
 * layer's modules in the bundle, as before spares held the layer, for the benchmarks that
 * compile bundles into bare isolates (which hold no shared layer) to measure what the modules cost.
 */
export async function bundleAll(options: { sharedLayer?: boolean } = {}): Promise<Record<string, string>> {
  const codes: Record<string, string> = {};
  for (const [name, src] of Object.entries(SOURCES)) codes[name] = (await bundleSource({ 'index.ts': src }, 'index.ts', 'isolate', { sharedLayer: options.sharedLayer ?? false })).code;
  return codes;
}

let n = 0;
/** A GET the hello functions answer. */
export const call = (): InstanceCall => ({
  mode: 'fetch',
  request: { method: 'GET', url: 'http://127.0.0.1:8080/fn/hello', headers: [['host', '127.0.0.1:8080']], body: null },
  meta: { invocationId: `b${++n}`, functionName: 'hello', version: 1, deadline: Date.now() + 10_000, attempt: 1, memoryMb: 128 },
});
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The host side of a Node-layer start with no network: every socket and lookup refused. */
export const noNodeHost = {
  connect: () => Promise.reject(new Error('none')),
  lookup: () => Promise.reject(new Error('none')),
  resolve: () => Promise.reject(new Error('none')),
  gone: new Promise<void>(() => undefined),
} as unknown as Parameters<typeof giveNodeEnv>[3];
