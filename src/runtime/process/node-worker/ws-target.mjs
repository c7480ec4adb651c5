// The checks of `new WebSocket(url, protocols)` (the WHATWG WebSocket constructor), shared by
// the isolate shim and the node runtime's worker: each world passes its own URL and
// DOMException. Returns the URL to open and the subprotocols, or throws a SyntaxError.
export function webSocketTarget(url, protocols, URLClass, DOMExceptionClass) {
  let target;
  try {
    target = new URLClass(String(url));
  } catch {
    throw new DOMExceptionClass(`Failed to construct 'WebSocket': The URL '${String(url)}' is invalid.`, 'SyntaxError');
  }
  if (target.protocol === 'http:') target.protocol = 'ws:';
  else if (target.protocol === 'https:') target.protocol = 'wss:';
  // a fragment, even an empty one ('#'), is refused
  if ((target.protocol !== 'ws:' && target.protocol !== 'wss:') || target.href.includes('#')) {
    throw new DOMExceptionClass(`Failed to construct 'WebSocket': The URL '${target.href}' is not a ws: or wss: URL without a fragment.`, 'SyntaxError');
  }
  const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols].map(String);
  if (list.some((p) => !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) || new Set(list).size !== list.length) {
    throw new DOMExceptionClass("Failed to construct 'WebSocket': The subprotocols are invalid.", 'SyntaxError');
  }
  return { target, list };
}
