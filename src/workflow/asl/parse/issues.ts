/** Collects validation problems with their location: which state, which field, why. */
import { MAX_SECONDS } from '../limits.ts';
import { isJsonataString, compileJsonataString, compileJsonataTemplate, type JsonataNode } from '../jsonata/expr.ts';
import { compileDynamic, compileTemplate, type TemplateNode } from '../jsonpath/template.ts';
import { compilePath, isReferencePath, type CompiledPath } from '../jsonpath/path.ts';
import { typeName } from '../json.ts';
import type { Dyn } from '../model.ts';
import type { Json } from '../types.ts';

export interface ValidationIssue {
  /** JSON Pointer into the definition, e.g. `/States/Fan/ItemProcessor/States/Call/Retry/0`. */
  readonly path: string;
  /** The state concerned, when there is one. */
  readonly state: string | null;
  /** The field concerned, when there is one. */
  readonly field: string | null;
  readonly message: string;
}

export function pointer(base: string, ...parts: (string | number)[]): string {
  return base + parts.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** A location inside the definition plus the issue list it reports into. */
export class Site {
  constructor(
    readonly issues: ValidationIssue[],
    readonly path: string,
    readonly state: string | null,
    readonly field: string | null,
  ) {}

  at(...parts: (string | number)[]): Site {
    const field = this.field ?? (parts.length > 0 ? String(parts[0]) : null);
    return new Site(this.issues, pointer(this.path, ...parts), this.state, field);
  }

  report(message: string): void {
    this.issues.push({ path: this.path, state: this.state, field: this.field, message });
  }

  /** Reports issues found below this site (relative JSON pointers from compilers). */
  reportRelative(found: readonly { at: string; message: string }[]): void {
    for (const f of found) this.issues.push({ path: this.path + f.at, state: this.state, field: this.field, message: f.message });
  }

  path_(value: Json, what: string): CompiledPath | null {
    if (typeof value !== 'string') {
      this.report(`${what} must be a JSONPath string, got ${typeName(value)}`);
      return null;
    }
    try {
      return compilePath(value);
    } catch (err) {
      this.report((err as Error).message);
      return null;
    }
  }

  referencePath(value: Json, what: string, allowVariables = true): CompiledPath | null {
    const p = this.path_(value, what);
    if (p === null) return null;
    if (!isReferencePath(p)) {
      this.report(`${what} must be a Reference Path (a single node: no *, .., filters, slices or unions), got "${p.source}"`);
      return null;
    }
    if (!allowVariables && p.root !== 'input') {
      this.report(`${what} must address the state input ("$…"), got "${p.source}"`);
      return null;
    }
    return p;
  }

  template(value: Json): TemplateNode {
    const found: { at: string; message: string }[] = [];
    const node = compileTemplate(value, found);
    this.reportRelative(found);
    return node;
  }

  jsonataTemplate(value: Json): JsonataNode {
    const found: { at: string; message: string }[] = [];
    const node = compileJsonataTemplate(value, found);
    this.reportRelative(found);
    return node;
  }

  /**
   * A numeric/string field that may be a literal, a JSONPath `…Path` companion, or a
   * JSONata expression. `check` validates literal values (returns an error or null).
   */
  dyn(value: Json, field: string, check: (v: Json) => string | null): Dyn | null {
    if (isJsonataString(value)) {
      const found: { at: string; message: string }[] = [];
      const node = compileJsonataString(value, found, '');
      this.reportRelative(found);
      return node === null ? null : { k: 'jsonata', node, field };
    }
    const problem = check(value);
    if (problem !== null) {
      this.report(`${field} ${problem}`);
      return null;
    }
    return { k: 'lit', v: value };
  }

  /** A JSONPath `…Path` field: a Reference Path (or, where allowed, an Intrinsic Function). */
  pathDyn(value: Json, field: string, allowIntrinsic: boolean): Dyn | null {
    if (typeof value !== 'string') {
      this.report(`${field} must be a string, got ${typeName(value)}`);
      return null;
    }
    if (!value.startsWith('$') && !allowIntrinsic) {
      this.report(`${field} must be a Reference Path starting with "$"`);
      return null;
    }
    if (value.startsWith('$') && this.referencePath(value, field) === null) return null;
    const found: { at: string; message: string }[] = [];
    const node = compileDynamic(value, field, '', found);
    this.reportRelative(found);
    return node === null ? null : { k: 'tmpl', node, field };
  }
}

export const checks = {
  positiveInt: (max = MAX_SECONDS) => (v: Json): string | null =>
    typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= max ? null : `must be a positive integer (at most ${max}), got ${JSON.stringify(v)}`,
  nonNegativeInt: (max = MAX_SECONDS) => (v: Json): string | null =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? null : `must be a non-negative integer (at most ${max}), got ${JSON.stringify(v)}`,
  percentage: (v: Json): string | null =>
    typeof v === 'number' && v >= 0 && v <= 100 ? null : `must be a number from 0 to 100, got ${JSON.stringify(v)}`,
  string: (v: Json): string | null => (typeof v === 'string' ? null : `must be a string, got ${typeName(v)}`),
  boolean: (v: Json): string | null => (typeof v === 'boolean' ? null : `must be a boolean, got ${typeName(v)}`),
};
