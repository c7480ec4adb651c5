/**
 * Web globals bundled only into the functions that name them (URLPattern, EventSource):
 * absent from other bundles (their cold start and memory do not grow), never marking a
 * bundle as using the Node layer; and URLPattern answering the URL Pattern Standard's own
 * examples inside an isolate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { eventCall, handlerValue, startWith } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';
import { usesNodeLayer } from './node-env.ts';

const build = async (text: string) => (await bundleSource({ 'index.js': text }, 'index.js')).code;

describe('web globals bundled where named', () => {
  it('a function that does not name them carries neither, CommonJS or not, with or without the Node layer', async () => {
    for (const text of [
      'export default { fetch() { return new Response("hi"); } };',
      'module.exports = { fetch() { return new Response("hi"); } };',
      'export default { fetch() { return new Response(Buffer.from("hi")); } };',
    ]) {
      const code = await build(text);
      assert.doesNotMatch(code, /URLPattern|EventSource|eventsource-parser/, text);
    }
    assert.ok((await build('export default { fetch() { return new Response("hi"); } };')).length < 2000);
  });

  it('one that names URLPattern or EventSource gets it, without the Node layer', async () => {
    const url = await build('export default { fetch(r) { return Response.json(new URLPattern({ pathname: "/a/:b" }).test(r.url)); } };');
    assert.match(url, /node_modules\/urlpattern-polyfill\//);
    assert.equal(usesNodeLayer(url), false);
    const es = await build('export default { fetch() { new EventSource("https://example.com/").close(); return new Response("x"); } };');
    assert.match(es, /Last-Event-ID/);
    assert.equal(usesNodeLayer(es), false);
    // with the Node layer too (a CommonJS package beside it)
    const both = await build('const { Buffer: B } = require("node:buffer"); module.exports = { fetch() { return new Response(B.from(String(new URLPattern("/x").test("https://e.com/x")))); } };');
    assert.equal(usesNodeLayer(both), true);
    assert.match(both, /node_modules\/urlpattern-polyfill\//);
  });
});

describe('URLPattern: the standard\'s examples, inside an isolate', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  let h: Awaited<ReturnType<typeof startWith>>;
  before(async () => {
    h = await startWith(
      runtime,
      await build(`export function handler() {
  const out = {};
  const books = new URLPattern({ pathname: '/books/:id' });
  out.booksTest = books.test('https://example.com/books/123');
  out.booksGroups = books.exec('https://example.com/books/123').pathname.groups;
  out.fromString = new URLPattern('https://example.com/books/:id').exec('https://example.com/books/123').pathname.groups.id;
  const digits = new URLPattern('/books/:id(\\\\d+)', 'https://example.com');
  out.digits = [digits.test('https://example.com/books/123'), digits.test('https://example.com/books/abc')];
  const sub = new URLPattern({ hostname: '{*.}?example.com' });
  out.subdomains = ['example.com', 'www.example.com', 'a.b.example.com', 'example.org'].map((hostname) => sub.test({ hostname }));
  const optional = new URLPattern({ pathname: '/product/(index.html)?' });
  out.optional = ['/product', '/product/index.html', '/product/other'].map((pathname) => optional.test({ pathname }));
  const wildcard = new URLPattern({ pathname: '/static/*' });
  out.wildcard = wildcard.exec({ pathname: '/static/css/site.css' }).pathname.groups[0];
  out.ignoreCase = [new URLPattern({ pathname: '/FOO' }).test({ pathname: '/foo' }), new URLPattern({ pathname: '/FOO' }, { ignoreCase: true }).test({ pathname: '/foo' })];
  out.base = new URLPattern({ pathname: '/admin/*', baseURL: 'https://example.com' }).test('https://example.com/admin/users');
  out.components = (({ protocol, hostname, port, pathname, search, hash }) => ({ protocol, hostname, port, pathname, search, hash }))(new URLPattern('https://example.com:8080/a?x=1#h'));
  out.regexpGroups = [new URLPattern({ pathname: '/(\\\\d+)' }).hasRegExpGroups, books.hasRegExpGroups];
  try { new URLPattern({ pathname: '/(' }); out.bad = 'no error'; } catch (e) { out.bad = e.name; }
  return out;
}`),
    );
  });
  after(async () => {
    h.instance.dispose();
    await runtime.close();
  });

  it('matches, groups, regexps, wildcards, optional parts, ignoreCase, baseURL, and refuses a bad pattern', async () => {
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('urlpattern', null))), {
      booksTest: true,
      booksGroups: { id: '123' },
      fromString: '123',
      digits: [true, false],
      subdomains: [true, true, true, false],
      optional: [true, true, false],
      wildcard: 'css/site.css',
      ignoreCase: [false, true],
      base: true,
      components: { protocol: 'https', hostname: 'example.com', port: '8080', pathname: '/a', search: 'x=1', hash: 'h' },
      regexpGroups: [true, false],
      bad: 'TypeError',
    });
  });
});
