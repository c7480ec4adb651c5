/** `dns/promises`. */
import { promises } from './dns.ts';
export const { lookup } = promises;
export default promises;
