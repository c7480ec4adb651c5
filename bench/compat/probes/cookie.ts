import { parse, serialize } from 'cookie';

export default function probe() {
  return {
    parsed: parse('sid=abc123; theme=dark; enc=%E2%9C%93; empty='),
    serialized: serialize('sid', 'a b;c', { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 3600, expires: new Date(Date.UTC(2030, 0, 1)) }),
  };
}
