import pg from 'pg';
import t from 'tap';
import { testDatabase } from '../../support/postgres.js';

// The PostgreSQL the store tests run on: a real server, one empty database per test, gone afterwards.

async function query(url: string, sql: string): Promise<pg.QueryResult<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<Record<string, unknown>>(sql);
  } finally {
    await client.end();
  }
}

t.test('each test gets its own empty database on a real server', async (t) => {
  const first = await testDatabase(t);
  const second = await testDatabase(t);
  if (first === null || second === null) return;
  t.not(first, second);
  const version = await query(first, 'SHOW server_version_num');
  t.ok(Number(version.rows[0]?.server_version_num) >= 130000, 'PostgreSQL 13 or newer (DROP DATABASE ... WITH (FORCE))');
  await query(first, 'CREATE TABLE only_here (id int)');
  const tables = await query(second, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'only_here'");
  t.equal(tables.rows[0]?.n, 0, 'a table made in one database is not in the other');
});

t.test('the database is dropped when its test ends', async (t) => {
  let name = '';
  await t.test('a test that uses one', async (t) => {
    const url = await testDatabase(t);
    if (url === null) return;
    name = new URL(url).pathname.slice(1);
    t.ok(name.startsWith('hook_alerts_test_'));
  });
  if (name === '') return;
  const admin = await testDatabase(t);
  if (admin === null) return;
  const left = await query(admin, `SELECT count(*)::int AS n FROM pg_database WHERE datname = '${name}'`);
  t.equal(left.rows[0]?.n, 0, `${name} is gone`);
});
