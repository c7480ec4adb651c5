// The Node-layer function of bench/micro/node-layer.ts ("full": ten node: modules, incl. stream and async_hooks), named.
import { Buffer } from 'node:buffer'; import { EventEmitter } from 'node:events'; import util from 'node:util';
import { Readable } from 'node:stream'; import { StringDecoder } from 'node:string_decoder'; import path from 'node:path';
import url from 'node:url'; import assert from 'node:assert'; import fs from 'node:fs'; import { AsyncLocalStorage } from 'node:async_hooks';
const NAME = '__NAME__';
const als = new AsyncLocalStorage();
export default {
  fetch: () => als.run(1, async () => {
    assert.ok(new EventEmitter()); fs.writeFileSync('/tmp/x', 'y');
    return new Response(util.format('%s %s %s %s %s %s', NAME, Buffer.from('hi').toString('hex'), typeof Readable, new StringDecoder().write(Buffer.from('a')), path.join('a', 'b'), url.parse('http://x/y').pathname));
  }),
};
