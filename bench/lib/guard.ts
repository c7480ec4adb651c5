/** Every byte of benchmark traffic goes to the loopback address, nowhere else. */
export const HOST = '127.0.0.1';

export function assertLocal(url: string): URL {
  const u = new URL(url);
  if (u.hostname !== HOST) {
    throw new Error(`bench: refusing to send traffic to ${u.host}; only ${HOST} is allowed`);
  }
  return u;
}
