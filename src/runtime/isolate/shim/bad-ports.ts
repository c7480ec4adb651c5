/**
 * The Fetch Standard's bad ports: ports of other protocols a browser never lets a web page
 * reach over HTTP or WebSocket (mail, shells, printers...), so a request to one is a network
 * error before any connection is tried.
 */
const BAD_PORTS = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113,
  115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556,
  563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667,
  6668, 6669, 6679, 6697, 10080,
]);

/** Whether a request to `url` is blocked for its port: an HTTP(S) or WebSocket URL whose port is a bad port. */
export function blockedPort(url: URL): boolean {
  if (url.port === '') return false;
  const scheme = url.protocol;
  if (scheme !== 'http:' && scheme !== 'https:' && scheme !== 'ws:' && scheme !== 'wss:') return false;
  return BAD_PORTS.has(Number(url.port));
}
