import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { runToExit, spawnInGroup, type GroupChild } from './process-groups.js';
import type { TestLike } from './worker-harness.js';

/**
 * Real PostgreSQL for tests, never a mock of `pg`. `.ci/run` starts one server for the whole run and
 * exports its admin URL as HOOK_ALERTS_TEST_DATABASE_URL; without it (a developer's `npm test`), the first
 * test of a file that asks starts a private server from Debian's packages in a temporary folder, stopped
 * when the file ends. Each test gets a database of its own, dropped at teardown.
 */
export const TEST_DATABASE_URL_ENV = 'HOOK_ALERTS_TEST_DATABASE_URL';

/** Why no server can be had here, in words that say how to get one. */
const NO_SERVER =
  `no PostgreSQL server for the tests: set ${TEST_DATABASE_URL_ENV} to an admin URL, or install Debian's ` +
  '`postgresql` package (`.ci/run` does both)';

let adminUrl: Promise<string | null> | undefined;
let databases = 0;

/** The newest Debian PostgreSQL bin folder, or null when the server package is not installed. */
function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0] ?? '', 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** initdb refuses root: as root, the server runs as Debian's `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function waitUntilAccepting(url: string, exited: Promise<unknown>): Promise<void> {
  let stopped = false;
  void exited.then(() => (stopped = true));
  // Bounds a hang only: a server that cannot start exits, and that ends the wait at once.
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (stopped) throw new Error('the private PostgreSQL server exited while starting');
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('the private PostgreSQL server did not accept connections within 60 s');
}

/** A private PostgreSQL server that a test can stop and start again (an outage), on the same port and data. */
export interface PostgresServer {
  /** Admin URL (user postgres, database postgres). */
  url: string;
  /** Stop it the way an outage does: connections are cut (immediate shutdown). */
  stop(): Promise<void>;
  /** Start it again after stop(). */
  start(): Promise<void>;
}

/**
 * Start a private server from Debian's packages in a temporary folder, stopped when `owner` ends; null
 * when this machine has no PostgreSQL server package.
 */
export async function startPostgresServer(owner: TestLike, opts: { fsync?: boolean } = {}): Promise<PostgresServer | null> {
  const bin = postgresBinDir();
  if (bin === null) return null;
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-pg-'));
  chmodSync(dir, 0o777); // the server user (postgres, when the tests run as root) owns what it creates inside
  owner.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const [initdb, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const init = await runToExit(owner, initdb, initArgs);
  if (init.code !== 0) throw new Error(`initdb failed (${String(init.code ?? init.signal)}): ${init.stderr.trim()}`);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running: GroupChild | null = null;
  const start = async (): Promise<void> => {
    // fsync off unless asked: a test server holds nothing worth keeping after a machine crash (a benchmark
    // that compares with SQLite's fsynced commits turns it on).
    const [postgres, serverArgs] = asServerUser(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', `fsync=${opts.fsync === true ? 'on' : 'off'}`, '-c', 'max_connections=200',
    ]);
    const server = spawnInGroup(owner, postgres, serverArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    running = server;
    // The server's log is kept for an error only: its LOG lines would drown the test output.
    let log = '';
    server.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-4000)));
    await waitUntilAccepting(url, server.exited).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; its log ends with:\n${log}`);
    });
  };
  const stop = async (): Promise<void> => {
    const server = running;
    running = null;
    if (server === null) return;
    // SIGQUIT: immediate shutdown, every connection cut at once, as when the database host goes away. To
    // the whole group: as root the server runs under runuser, which does not pass SIGQUIT on.
    const pid = server.child.pid;
    if (pid !== undefined) process.kill(-pid, 'SIGQUIT');
    await server.exited;
  };
  await start();
  return { url, stop, start };
}

async function startPrivateServer(): Promise<string | null> {
  // Imported here, not at the top: a benchmark that uses startPostgresServer must not start a TAP run.
  const { default: tap } = await import('tap');
  return (await startPostgresServer(tap))?.url ?? null;
}

/**
 * A new empty database on a real server for `t`, dropped when `t` ends; null (with `t` skipped, saying
 * why) when this machine has no PostgreSQL.
 */
export async function testDatabase(t: Test): Promise<string | null> {
  adminUrl ??= process.env[TEST_DATABASE_URL_ENV] ? Promise.resolve(process.env[TEST_DATABASE_URL_ENV] ?? null) : startPrivateServer();
  const admin = await adminUrl;
  if (admin === null) {
    void t.skip(NO_SERVER, () => undefined);
    return null;
  }
  databases += 1;
  const name = `hook_alerts_test_${process.pid}_${databases}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  t.teardown(async () => {
    const dropper = new pg.Client({ connectionString: admin });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
