import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startBanner } from './banner.ts';

const URL_ = 'http://127.0.0.1:8080';

it('suggests the hello example only when it is deployed', () => {
  const withExamples = startBanner({ url: URL_, dataDir: '.nimbus', functions: ['hello', 'hono-app', 'json-api'] });
  assert.match(withExamples, /try: {2}curl http:\/\/127\.0\.0\.1:8080\/fn\/hello\/world/);

  // --no-examples: nothing deployed, so no URL that would answer 404.
  const empty = startBanner({ url: URL_, dataDir: '.nimbus', functions: [] });
  assert.doesNotMatch(empty, /\/fn\//);
  assert.match(empty, /no functions yet/);
  assert.match(empty, /try: {2}nimbus deploy <name> \.\/my-function\.ts/);

  // Functions of one's own, no hello: the suggestions name one of them.
  const own = startBanner({ url: URL_, dataDir: '.nimbus', functions: ['greet'] });
  assert.doesNotMatch(own, /hello/);
  assert.match(own, /curl http:\/\/127\.0\.0\.1:8080\/fn\/greet\/ .*invocations greet/);
});

it('shows where the console is only when it is served', () => {
  assert.match(startBanner({ url: URL_, dataDir: '.nimbus', functions: [], console: true }), /console: http:\/\/127\.0\.0\.1:8080\/console\//);
  assert.doesNotMatch(startBanner({ url: URL_, dataDir: '.nimbus', functions: [], console: false }), /console/);
});
