/** URL hosts: IPv4 (with its odd number forms), IPv6, and domains (punycode for non-ASCII). */
import { C0, encodeSet, percentDecode } from './url-percent.ts';

export function invalid(input: string): TypeError {
  const e = new TypeError(`Invalid URL: ${input}`);
  (e as TypeError & { code?: string }).code = 'ERR_INVALID_URL';
  return e;
}

function parseIPv4Number(s: string): number {
  if (s === '') return NaN;
  let radix = 10;
  if (/^0[xX]/.test(s)) {
    s = s.slice(2);
    radix = 16;
  } else if (s.length > 1 && s[0] === '0') {
    s = s.slice(1);
    radix = 8;
  }
  if (s === '') return 0;
  const re = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  return re.test(s) ? parseInt(s, radix) : NaN;
}

function endsInNumber(host: string): boolean {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '') {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1];
  return /^[0-9]+$/.test(last) || !Number.isNaN(parseIPv4Number(last));
}

function parseIPv4(host: string, input: string): string {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) throw invalid(input);
  const nums = parts.map(parseIPv4Number);
  if (nums.some((n) => Number.isNaN(n))) throw invalid(input);
  for (let i = 0; i < nums.length - 1; i++) if (nums[i] > 255) throw invalid(input);
  if (nums[nums.length - 1] >= 256 ** (5 - nums.length)) throw invalid(input);
  let ipv4 = nums[nums.length - 1];
  for (let i = 0; i < nums.length - 1; i++) ipv4 += nums[i] * 256 ** (3 - i);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    out.unshift(ipv4 % 256);
    ipv4 = Math.floor(ipv4 / 256);
  }
  return out.join('.');
}

function parseIPv6(s: string, input: string): string {
  const pieces = [0, 0, 0, 0, 0, 0, 0, 0];
  let piece = 0;
  let compress = -1;
  let i = 0;
  if (s[0] === ':') {
    if (s[1] !== ':') throw invalid(input);
    i = 2;
    compress = ++piece;
  }
  while (i < s.length) {
    if (piece === 8) throw invalid(input);
    if (s[i] === ':') {
      if (compress !== -1) throw invalid(input);
      i++;
      compress = ++piece;
      continue;
    }
    let value = 0;
    let len = 0;
    while (len < 4 && i < s.length && /[0-9a-fA-F]/.test(s[i])) {
      value = value * 16 + parseInt(s[i], 16);
      i++;
      len++;
    }
    if (s[i] === '.') {
      if (len === 0 || piece > 6) throw invalid(input);
      i -= len;
      const v4 = parseIPv4(s.slice(i), input).split('.').map(Number);
      if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(s.slice(i))) throw invalid(input);
      pieces[piece++] = v4[0] * 256 + v4[1];
      pieces[piece++] = v4[2] * 256 + v4[3];
      i = s.length;
      break;
    }
    if (s[i] === ':') {
      i++;
      if (i === s.length) throw invalid(input);
    } else if (i < s.length) throw invalid(input);
    pieces[piece++] = value;
  }
  if (compress !== -1) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const t = pieces[compress + swaps - 1];
      pieces[compress + swaps - 1] = pieces[piece];
      pieces[piece] = t;
      piece--;
      swaps--;
    }
  } else if (piece !== 8) throw invalid(input);
  // serialise, compressing the longest run of zeros (length ≥ 2)
  let best = -1;
  let bestLen = 1;
  for (let a = 0; a < 8; ) {
    if (pieces[a] !== 0) {
      a++;
      continue;
    }
    let b = a;
    while (b < 8 && pieces[b] === 0) b++;
    if (b - a > bestLen) {
      best = a;
      bestLen = b - a;
    }
    a = b;
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === best) {
      out += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    out += pieces[k].toString(16) + (k < 7 ? ':' : '');
  }
  return '[' + out + ']';
}

function punycode(label: string): string {
  const cps = Array.from(label, (ch) => ch.codePointAt(0) as number);
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join('');
  const basic = out.length;
  let h = basic;
  if (basic > 0) out += '-';
  let n = 128;
  let delta = 0;
  let bias = 72;
  const digit = (d: number) => String.fromCharCode(d + 22 + 75 * (d < 26 ? 1 : 0));
  const adapt = (d: number, numPoints: number, first: boolean) => {
    let k = 0;
    d = first ? Math.floor(d / 700) : d >> 1;
    d += Math.floor(d / numPoints);
    for (; d > 455; k += 36) d = Math.floor(d / 35);
    return Math.floor(k + (36 * d) / (d + 38));
  };
  while (h < cps.length) {
    const m = Math.min(...cps.filter((c) => c >= n));
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = 36; ; k += 36) {
          const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (36 - t)));
          q = Math.floor((q - t) / (36 - t));
        }
        out += digit(q);
        bias = adapt(delta, h + 1, h === basic);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return out;
}

/** RFC 3492 decoding; null when `input` is not valid punycode. */
function punydecode(input: string): number[] | null {
  const out: number[] = [];
  const dash = input.lastIndexOf('-');
  for (let j = 0; j < Math.max(0, dash); j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) return null;
    out.push(c);
  }
  let n = 128;
  let bias = 72;
  let i = 0;
  for (let idx = dash > 0 ? dash + 1 : 0; idx < input.length; ) {
    const old = i;
    let w = 1;
    for (let k = 36; ; k += 36) {
      if (idx >= input.length) return null;
      const c = input.charCodeAt(idx++);
      const digit = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : 36;
      if (digit >= 36) return null;
      i += digit * w;
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (digit < t) break;
      w *= 36 - t;
      if (i > 0x10ffff * 64) return null;
    }
    const len = out.length + 1;
    let delta = old === 0 ? Math.floor((i - old) / 700) : (i - old) >> 1;
    delta += Math.floor(delta / len);
    let k = 0;
    for (; delta > 455; k += 36) delta = Math.floor(delta / 35);
    bias = Math.floor(k + (36 * delta) / (delta + 38));
    n += Math.floor(i / len);
    i %= len;
    if (n > 0x10ffff) return null;
    out.splice(i++, 0, n);
  }
  return out;
}

/** An "xn--" label must decode to something that needed encoding. */
function validAceLabel(label: string): boolean {
  if (!label.startsWith('xn--')) return true;
  const cps = punydecode(label.slice(4));
  return cps !== null && cps.some((c) => c >= 0x80);
}

// UTS 46's table: mapped to nothing (soft hyphen, zero width space, word joiner, BOM,
// variation selectors, Mongolian free variation selectors...) and disallowed
const IDNA_IGNORED = /[\u00ad\u034f\u180b-\u180d\u180f\u200b\u2060\u2064\ufe00-\ufe0f\ufeff]|\udb40[\udd00-\uddef]|\ud82f[\udca0-\udca3]/g;
const IDNA_DISALLOWED = /[\ufdd0-\ufdef\ufffc-\uffff]|[\ud83f\ud87f\ud8bf\ud8ff\ud93f\ud97f\ud9bf\ud9ff\uda3f\uda7f\udabf\udaff\udb3f\udb7f\udbbf\udbff][\udffe\udfff]/;

const FORBIDDEN_HOST = /[\0\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\0-\x1f\t\n\r #%/:<>?@[\\\]^|\x7f]/;

export function parseHost(raw: string, special: boolean, input: string): string {
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']')) throw invalid(input);
    return parseIPv6(raw.slice(1, -1), input);
  }
  if (!special) {
    if (FORBIDDEN_HOST.test(raw)) throw invalid(input);
    return encodeSet(raw, C0);
  }
  let domain = percentDecode(raw).toLowerCase();
  if (/[^\x00-\x7f]/.test(domain)) {
    // UTS 46 maps roughly as NFKC + case folding (full width letters, ligatures...), drops
    // the default ignorables it maps to nothing, and disallows noncharacters and U+FFFD
    // (what invalid UTF-8 in a percent-encoded host decodes to)
    if (IDNA_DISALLOWED.test(domain)) throw invalid(input);
    domain = domain
      .replace(IDNA_IGNORED, '')
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\u3002\uff0e\uff61]/g, '.')
      .split('.')
      .map((l) => (/[^\x00-\x7f]/.test(l) ? 'xn--' + punycode(l) : l))
      .join('.');
  }
  if (domain === '' || FORBIDDEN_DOMAIN.test(domain) || !domain.split('.').every(validAceLabel)) throw invalid(input);
  return endsInNumber(domain) ? parseIPv4(domain, input) : domain;
}
