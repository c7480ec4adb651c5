import Papa from 'papaparse';

export default function probe() {
  const csv = 'id,name,score\n1,"Ana, Maria",9.5\n2,"Bo ""the"" Builder",7\n3,Cy,\n';
  const parsed = Papa.parse(csv, { header: true, dynamicTyping: true, skipEmptyLines: true });
  return {
    data: parsed.data,
    errors: parsed.errors,
    fields: parsed.meta.fields,
    unparsed: Papa.unparse([{ a: 1, b: 'x,y' }, { a: 2, b: 'q"z' }]),
    tsv: Papa.parse('a\tb\n1\t2').data,
  };
}
