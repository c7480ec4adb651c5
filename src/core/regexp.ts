/** `text` as a literal inside a regular expression (every character special to RegExp escaped). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
