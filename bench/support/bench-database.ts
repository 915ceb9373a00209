import pg from 'pg';
import type { PostgresServer } from '../../test/support/postgres.js';

let databases = 0;

/** A new empty database on `server`, so that each measured run starts from nothing. */
export async function freshDatabase(server: PostgresServer, prefix: string): Promise<string> {
  databases += 1;
  const name = `${prefix}_${process.pid}_${databases}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}
