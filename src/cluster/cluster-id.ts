/**
 * The cluster's id: made by the first node that starts on a store and kept there (as a
 * lease that never expires, so of nodes starting together exactly one id wins), so that
 * every node on one store finds the same bus namespace however it names the database
 * server, and two clusters sharing a NATS server never hear each other.
 */
import { randomBytes } from 'node:crypto';
import type { LeaseRepo } from '../store/lease-ports.ts';

const NAME = 'cluster-id';
const FOREVER = Number.MAX_SAFE_INTEGER;

export async function clusterId(leases: LeaseRepo): Promise<string> {
  const mine = randomBytes(6).toString('hex');
  if (await leases.acquire(NAME, mine, 0, FOREVER - 1)) return mine;
  const held = await leases.holder(NAME, 0);
  if (held === null) throw new Error('the cluster id lease is neither free nor held');
  return held.owner;
}

/** The bus namespace (subject prefix) of a cluster. */
export const busNamespace = (id: string): string => `nimbus.${id}`;
