import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeHeaderValue,
  encodeHeaderValue,
  isJsonMediaType,
  isTextMediaType,
  mediaTypeProblem,
  timestampProblem,
  uriProblem,
  uriReferenceProblem,
} from './attributes.ts';

test('URI-references: absolute, relative, URNs; not spaces, bad escapes or bad schemes', () => {
  for (const ok of ['https://example.com/a?b=c#d', '/sensors/1', 'urn:event:from:myapi.com', 'mailto:a@b.c', 'a%20b', '../x', '#frag']) {
    assert.equal(uriReferenceProblem(ok), null, ok);
  }
  for (const bad of ['a b', 'ü', 'x%2', 'x%zz', '1abc:x', 'a#b#c', 'a"b']) {
    assert.notEqual(uriReferenceProblem(bad), null, bad);
  }
});

test('absolute URIs need a scheme', () => {
  assert.equal(uriProblem('https://schemas.example.com/x.json'), null);
  assert.equal(uriProblem('urn:schema:x'), null);
  assert.match(uriProblem('/x.json')!, /scheme/);
  assert.match(uriProblem('schemas.example.com/x')!, /scheme/);
});

test('RFC 3339 timestamps with offsets, fractions and leap seconds; ranges checked', () => {
  for (const ok of ['2024-05-01T12:00:00Z', '2024-05-01t12:00:00z', '2024-05-01T12:00:00.123456+05:30', '2024-12-31T23:59:60-08:00', '2024-02-29T00:00:00Z']) {
    assert.equal(timestampProblem(ok), null, ok);
  }
  for (const bad of ['2024-05-01', '2024-05-01T12:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-05-01T24:00:00Z', '2024-05-01T12:00:00+24:00', '2024-05-01T12:00:00+0200']) {
    assert.notEqual(timestampProblem(bad), null, bad);
  }
});

test('media types', () => {
  for (const ok of ['application/json', 'text/plain; charset=utf-8', 'application/vnd.api+json', 'multipart/form-data; boundary="a b"']) {
    assert.equal(mediaTypeProblem(ok), null, ok);
  }
  for (const bad of ['json', 'application/', '/json', 'text/plain; charset']) assert.notEqual(mediaTypeProblem(bad), null, bad);
  assert.equal(isJsonMediaType('application/cloudevents+json; charset=utf-8'), true);
  assert.equal(isJsonMediaType('Application/JSON'), true);
  assert.equal(isJsonMediaType('text/plain'), false);
  assert.equal(isTextMediaType('text/csv'), true);
  assert.equal(isTextMediaType('application/octet-stream'), false);
  assert.equal(isTextMediaType('application/x-custom; charset=utf-8'), true);
});

test('header values: the spec example encodes and decodes', () => {
  assert.equal(encodeHeaderValue('Euro € 😀'), 'Euro%20%E2%82%AC%20%F0%9F%98%80');
  assert.equal(decodeHeaderValue('Euro%20%E2%82%AC%20%F0%9F%98%80'), 'Euro € 😀');
  assert.equal(encodeHeaderValue('a"b%c\n'), 'a%22b%25c%0A');
  assert.equal(decodeHeaderValue('%41BC'), 'ABC', 'unnecessary encoding is accepted');
  assert.equal(decodeHeaderValue('%C0%A0'), null, 'overlong UTF-8 is rejected');
  assert.equal(decodeHeaderValue('%E2%82'), null, 'truncated UTF-8 is rejected');
});
