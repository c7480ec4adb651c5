/** What every HTTP target offers a scenario. Functions are reached at /fn/<name>/. */
import type { Memory } from '../lib/proc.ts';
import type { TargetInfo } from '../lib/results.ts';

export interface HttpTarget {
  readonly info: TargetInfo;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly pid: number;
  /** Milliseconds from spawn() to the first 2xx response (or to the ready line). */
  readonly startMs: number;
  fnPath(name: string, rest?: string): string;
  memory(): Memory;
  stop(): Promise<void>;
}

export const RAW: TargetInfo = {
  id: 'raw-node',
  label: 'raw node:http',
  description: 'The physical limit: a bare node:http server doing the same work in-process (no isolate, no platform).',
};
export const RAW_CLUSTER: TargetInfo = {
  id: 'raw-node-cluster',
  label: 'raw node:http, one process per core',
  description: 'The same bare server, one process per core behind node:cluster: the limit of the machine rather than of one thread.',
};
export const WORKERD: TargetInfo = {
  id: 'workerd',
  label: 'workerd',
  description: "Cloudflare's workerd (npm `workerd`), running the same Web-standard module.",
};
export const NIMBUS: TargetInfo = {
  id: 'nimbus',
  label: 'Nimbus',
  description: 'Nimbus (`bin/nimbus.mjs up`), function deployed through the REST API and called at /fn/<name>/.',
};
