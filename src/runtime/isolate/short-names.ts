/**
 * Shorter local names for a script every isolate holds a copy of (the shim, the shared Node
 * layers): each isolate keeps the script's source, so its length is memory per instance.
 * Names code can see stay as they are: functions and classes keep theirs, and so does every
 * variable an anonymous function or class takes its name from (V8 names it after the
 * variable it is first assigned to, in a declaration, an assignment or a default value;
 * terser's keep_fnames covers declarations of functions only, so the others are reserved).
 * Properties, and so exports, are never renamed; private ones are (terser has no option to
 * keep them), so a private method's name in a stack trace is a short one. The build runs it;
 * a platform started from dist/ never loads terser or acorn.
 */

type Node = { type: string; [key: string]: unknown };

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** A function or class with no name of its own: it takes the name of what it is assigned to. */
function anonymous(node: unknown): boolean {
  if (!isNode(node)) return false;
  if (node.type === 'ArrowFunctionExpression') return true;
  return (node.type === 'FunctionExpression' || node.type === 'ClassExpression') && node.id === null;
}

/** The names anonymous functions and classes take from variables (declarations, assignments, defaults). */
function namingVariables(program: Node): string[] {
  const names = new Set<string>();
  const nameOf = (target: unknown, value: unknown) => {
    if (isNode(target) && target.type === 'Identifier' && anonymous(value)) names.add(target.name as string);
  };
  const stack: unknown[] = [program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (!isNode(node)) continue;
    if (node.type === 'VariableDeclarator') nameOf(node.id, node.init);
    else if (node.type === 'AssignmentExpression' || node.type === 'AssignmentPattern') nameOf(node.left, node.right);
    for (const key in node) if (key !== 'type') stack.push(node[key]);
  }
  return [...names];
}

export async function shortenLocalNames(code: string): Promise<string> {
  const [{ parse }, { minify }] = await Promise.all([import('acorn'), import('terser')]);
  const reserved = namingVariables(parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as Node);
  const result = await minify(code, {
    compress: false,
    mangle: { keep_fnames: true, keep_classnames: true, reserved },
    format: { ascii_only: true },
    ecma: 2022,
  });
  if (result.code === undefined) throw new Error('terser produced no code');
  // a tagged template's raw text keeps its characters as written: there is none in these scripts
  const other = /[^\x00-\x7f]/.exec(result.code);
  if (other !== null) throw new Error(`a character outside ASCII (U+${other[0].codePointAt(0)!.toString(16).padStart(4, '0')}) is left in a script every isolate holds; write it as an escape`);
  // a one-byte string (the text is ASCII): a copy in an isolate is then half the size of a two-byte one
  return Buffer.from(result.code, 'latin1').toString('latin1');
}
