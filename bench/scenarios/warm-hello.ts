import { helloSource } from '../lib/functions.ts';
import type { Scenario } from '../lib/scenario.ts';
import { runHttpLoad } from './http-load.ts';

export const warmHello: Scenario = {
  id: 'warm-hello',
  title: 'Warm hello',
  description:
    'GET of a function that returns the 5-byte body "hello", with every target already warm. ' +
    'autocannon, 50 connections, no pipelining. Measures the fixed cost of the request path.',
  run: (s, rec) =>
    runHttpLoad(s, rec, { fn: 'hello', source: helloSource(), connections: 50, request: { method: 'GET' } }),
};
