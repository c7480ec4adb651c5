import mysql from 'mysql2';

export default async function probe() {
  // Offline: a pool opens nothing until a query; its settings and the query text builders are tested.
  const pool = mysql.createPool({ host: 'db.example', user: 'u', password: 'p', database: 'app', connectionLimit: 3, timezone: 'Z' });
  const cfg = (pool as unknown as { config: { connectionLimit: number; connectionConfig: { host: string; port: number; database: string; timezone: string } } }).config;
  const result = {
    format: mysql.format('SELECT ?? FROM ?? WHERE id = ? AND name IN (?) AND at = ?', ['col', 'tbl', 5, ['a', "b'c"], new Date(Date.UTC(2024, 1, 29, 12))], false, 'Z'),
    escape: [mysql.escape("O'Reilly\n"), mysql.escapeId('db.tbl'), mysql.escape(null), mysql.escape(true), mysql.escape(Buffer.from('hi'))],
    raw: mysql.format('SELECT ?', [mysql.raw('NOW()')]),
    config: [cfg.connectionLimit, cfg.connectionConfig.host, cfg.connectionConfig.port, cfg.connectionConfig.database, cfg.connectionConfig.timezone],
  };
  await new Promise<void>((resolve) => pool.end(() => resolve()));
  return result;
}
