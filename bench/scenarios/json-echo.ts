import { echoSource, jsonPayload } from '../lib/functions.ts';
import type { Scenario } from '../lib/scenario.ts';
import { runHttpLoad } from './http-load.ts';

const BYTES = 10 * 1024;

export const jsonEcho: Scenario = {
  id: 'json-echo',
  title: 'JSON echo (10 KB in, 10 KB out)',
  description:
    'POST of a 10 KB JSON document; the function parses it and answers with it re-serialised. ' +
    'autocannon, 50 connections. Measures body handling: reading, copying into the runtime, parsing and writing back.',
  run: (s, rec) =>
    runHttpLoad(s, rec, {
      fn: 'echo',
      source: echoSource(),
      connections: 50,
      request: { method: 'POST', body: jsonPayload(BYTES) },
    }),
};
