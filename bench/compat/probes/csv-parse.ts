import { parse as parseSync } from 'csv-parse/sync';
import { parse } from 'csv-parse';

export default async function probe() {
  const input = 'id;name;when\n1;"Ana; M";2024-02-29\n2;Bo;2024-03-01\n';
  const records = parseSync(input, { delimiter: ';', columns: true, cast: (v, ctx) => (ctx.column === 'id' ? Number(v) : v) });
  const streamed: unknown[] = [];
  const parser = parse({ from_line: 2, delimiter: ';' });
  parser.write(input);
  parser.end();
  for await (const row of parser) streamed.push(row);
  let error = '';
  try {
    parseSync('a,b\n1,2,3\n');
  } catch (e) {
    error = (e as { code?: string }).code ?? 'no code';
  }
  return { records, streamed, error };
}
