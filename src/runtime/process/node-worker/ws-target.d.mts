export function webSocketTarget<U extends { protocol: string; readonly href: string }>(
  url: unknown,
  protocols: unknown,
  URLClass: new (url: string) => U,
  DOMExceptionClass: new (message: string, name: string) => Error,
): { target: U; list: string[] };
