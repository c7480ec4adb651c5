import pg from 'pg';

export default function probe() {
  // Offline: no connection is opened (the real query is an end-to-end test).
  const client = new pg.Client({ connectionString: 'postgres://user:p%40ss@db.example:6543/app?application_name=probe' });
  const c = client as unknown as { host: string; port: number; user: string; database: string; password: string; connectionParameters: { application_name: string } };
  const parse1082 = pg.types.getTypeParser(1082);
  const parse1700 = pg.types.getTypeParser(1700);
  const parseJson = pg.types.getTypeParser(114);
  const parseArr = pg.types.getTypeParser(1007 as Parameters<typeof pg.types.getTypeParser>[0]);
  return {
    conn: [c.host, c.port, c.user, c.database, c.password, c.connectionParameters.application_name],
    ident: client.escapeIdentifier('weird "name"'),
    literal: client.escapeLiteral("O'Reilly \\ path"),
    types: [parse1082('2024-02-29'), parse1700('12.50'), parseJson('{"a":[1]}'), parseArr('{1,2,NULL}')],
    pool: typeof new pg.Pool({ max: 2 }).connect,
    defaults: [pg.defaults.port, (pg.defaults as Record<string, unknown>).max],
  };
}
