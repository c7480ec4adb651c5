/**
 * `<name>@<qualifier>`: a function name with a version number or an alias, as async, timer
 * and event targets may give it (the dispatcher follows the qualifier). Function names
 * never contain "@".
 */
export function unqualified(target: string): string {
  const at = target.indexOf('@');
  return at === -1 ? target : target.slice(0, at);
}

/** The qualifier of `<name>@<qualifier>`, or undefined for a plain name. */
export function qualifierOf(target: string): string | undefined {
  const at = target.indexOf('@');
  return at === -1 ? undefined : target.slice(at + 1);
}
