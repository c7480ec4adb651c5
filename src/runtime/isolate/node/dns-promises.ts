/** `dns/promises`. */
import { promises } from './dns.ts';
export const { lookup, resolve, resolve4, resolve6, resolveMx, resolveTxt, resolveSrv, resolveCname, resolveNs, reverse, setServers, getServers, Resolver } = promises;
export default promises;
