/**
 * Parser for the Intrinsic Function grammar:
 *   call   := Name "(" [ arg { "," arg } ] ")"
 *   arg    := 'string' | number | null | true | false | Path | call
 * Strings are apostrophe-quoted with the escapes \' \{ \} \\ (any other backslash is an
 * error). `{}` pairs inside a literal are remembered so States.Format can tell a
 * placeholder from an escaped brace. Paths run to the next top-level "," or ")".
 */
import { compilePath, type CompiledPath } from './path.ts';

export type IntrinsicArg =
  | { readonly kind: 'string'; readonly value: string; readonly formatParts: readonly string[] }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'literal'; readonly value: null | boolean }
  | { readonly kind: 'path'; readonly path: CompiledPath }
  | IntrinsicCall;

export interface IntrinsicCall {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly IntrinsicArg[];
}

export class IntrinsicSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntrinsicSyntaxError';
  }
}

export function parseIntrinsic(text: string): IntrinsicCall {
  const p = new Parser(text);
  p.skipWs();
  const call = p.call();
  p.skipWs();
  if (!p.done()) p.fail('unexpected text after the closing ")"');
  return call;
}

/** Depth of nested calls (a lone call has depth 1). */
export function nestingDepth(call: IntrinsicCall): number {
  let max = 0;
  for (const a of call.args) if (a.kind === 'call') max = Math.max(max, nestingDepth(a));
  return max + 1;
}

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.i >= this.text.length;
  }

  fail(why: string): never {
    throw new IntrinsicSyntaxError(`invalid intrinsic function "${this.text}": ${why} (at offset ${this.i})`);
  }

  skipWs(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i])) this.i++;
  }

  call(): IntrinsicCall {
    const start = this.i;
    while (this.i < this.text.length && /[A-Za-z0-9._]/.test(this.text[this.i])) this.i++;
    const name = this.text.slice(start, this.i);
    if (name === '') this.fail('expected a function name');
    if (this.text[this.i] !== '(') this.fail(`expected "(" after ${name}`);
    this.i++;
    const args: IntrinsicArg[] = [];
    this.skipWs();
    if (this.text[this.i] === ')') {
      this.i++;
      return { kind: 'call', name, args };
    }
    for (;;) {
      this.skipWs();
      args.push(this.arg());
      this.skipWs();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ')') {
        this.i++;
        return { kind: 'call', name, args };
      }
      this.fail(c === undefined ? 'missing ")"' : `expected "," or ")" but found "${c}"`);
    }
  }

  private arg(): IntrinsicArg {
    const c = this.text[this.i];
    if (c === undefined) this.fail('missing argument');
    if (c === "'") return this.string();
    if (c === '$') return this.path();
    if (/[-\d]/.test(c)) return this.number();
    const word = /^(null|true|false)(?=\s*[,)])/.exec(this.text.slice(this.i));
    if (word !== null) {
      this.i += word[1].length;
      return { kind: 'literal', value: word[1] === 'null' ? null : word[1] === 'true' };
    }
    if (/[A-Za-z]/.test(c)) return this.call();
    return this.fail(`unexpected "${c}"`);
  }

  private string(): IntrinsicArg {
    this.i++; // opening quote
    let value = '';
    const parts: string[] = [];
    let part = '';
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === "'") {
        this.i++;
        break;
      }
      if (c === '\\') {
        const n = this.text[this.i + 1];
        if (n !== "'" && n !== '{' && n !== '}' && n !== '\\') {
          this.fail(n === undefined ? 'open escape "\\" at the end' : `open escape "\\${n}" (only \\' \\{ \\} \\\\ are allowed)`);
        }
        value += n;
        part += n;
        this.i += 2;
        continue;
      }
      if (c === '{' && this.text[this.i + 1] === '}') {
        value += '{}';
        parts.push(part);
        part = '';
        this.i += 2;
        continue;
      }
      value += c;
      part += c;
      this.i++;
    }
    parts.push(part);
    return { kind: 'string', value, formatParts: parts };
  }

  private number(): IntrinsicArg {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.i));
    if (m === null) this.fail('malformed number');
    this.i += m![0].length;
    return { kind: 'number', value: Number(m![0]) };
  }

  private path(): IntrinsicArg {
    const start = this.i;
    let depth = 0;
    while (this.i < this.text.length) {
      const c = this.text[this.i];
      if (c === "'" || c === '"') {
        const q = c;
        this.i++;
        while (this.i < this.text.length && this.text[this.i] !== q) {
          if (this.text[this.i] === '\\') this.i++;
          this.i++;
        }
        this.i++;
        continue;
      }
      if (c === '[' || c === '(') depth++;
      else if (c === ']' || (c === ')' && depth > 0)) depth--;
      else if (depth === 0 && (c === ',' || c === ')')) break;
      this.i++;
    }
    const source = this.text.slice(start, this.i).trim();
    try {
      return { kind: 'path', path: compilePath(source) };
    } catch (err) {
      return this.fail((err as Error).message);
    }
  }
}
