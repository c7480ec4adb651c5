import JSON5 from 'json5';

export default function probe() {
  const parsed = JSON5.parse("{ // comment\n unquoted: 'single', trailing: [1, 2,], hex: 0xFF, inf: Infinity, nl: 'a\\\nb', }");
  return { parsed: { ...parsed, inf: String(parsed.inf) }, stringified: JSON5.stringify({ a: 1, 'b-c': [true, null], s: "it's" }, null, 2) };
}
