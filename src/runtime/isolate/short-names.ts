/**
 * Shorter local names for a script every isolate holds a copy of (the shim, the shared Node
 * layers): each isolate keeps the script's source, so its length is memory per instance.
 * Names user code can see stay as they are: functions and classes keep theirs, and so does a
 * variable that holds an anonymous function or class (V8 names the function after it), which
 * terser's keep_fnames covers for functions but not for classes, hence the reserved list.
 * Properties, and so exports, are never renamed.
 */
import { minify } from 'terser';

/** Variables assigned an anonymous class expression (`Foo = class extends Bar {`): their names are the classes' `name`. */
function classVariables(code: string): string[] {
  return [...new Set(Array.from(code.matchAll(/([A-Za-z_$][\w$]*)\s*=\s*class(?=[\s{])/g), (m) => m[1]!))];
}

export async function shortenLocalNames(code: string): Promise<string> {
  const result = await minify(code, {
    compress: false,
    mangle: { keep_fnames: true, keep_classnames: true, reserved: classVariables(code) },
    format: { ascii_only: true },
    ecma: 2022,
  });
  if (result.code === undefined) throw new Error('terser produced no code');
  // a one-byte string (the text is ASCII): a copy in an isolate is then half the size of a two-byte one
  return Buffer.from(result.code, 'latin1').toString('latin1');
}
