import t from 'tap';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load-config.js';
import { redactPostgresUrl, withPassword } from '../../../src/store/postgres/pg-connection.js';
import type { HookAlertsError } from '../../../src/errors.js';

const TOKEN = { HOOK_ALERTS_TOKEN: 'a-long-enough-token-123' };

function refusal(env: NodeJS.ProcessEnv): HookAlertsError {
  try {
    loadConfig({ env: { ...TOKEN, ...env } });
  } catch (err) {
    return err as HookAlertsError;
  }
  throw new Error('the config was accepted');
}

t.test('HOOK_ALERTS_DATABASE_URL and _PASSWORD set store.postgres; unset, the store is SQLite', async (t) => {
  const config = loadConfig({ env: { ...TOKEN, HOOK_ALERTS_DATABASE_URL: 'postgres://alerts@db:5432/alerts?sslmode=verify-full', HOOK_ALERTS_DATABASE_PASSWORD: 'pw' } });
  t.same(config.store.postgres, { url: 'postgres://alerts@db:5432/alerts?sslmode=verify-full', password: 'pw', poolSize: 10 });
  t.same(loadConfig({ env: TOKEN }).store.postgres, { poolSize: 10 });
});

t.test('the password from HOOK_ALERTS_DATABASE_PASSWORD_FILE, its trailing newline dropped; an unreadable file is an error', async (t) => {
  const dir = t.testdir({ 'db-password': 'from-the-secret\n' });
  const env = { ...TOKEN, HOOK_ALERTS_DATABASE_URL: 'postgres://alerts@db/alerts', HOOK_ALERTS_DATABASE_PASSWORD_FILE: join(dir, 'db-password') };
  t.equal(loadConfig({ env }).store.postgres.password, 'from-the-secret');
  const err = refusal({ ...env, HOOK_ALERTS_DATABASE_PASSWORD_FILE: join(dir, 'missing') });
  t.equal(err.code, 'HA_ERR_CONFIG_INVALID');
  t.match(JSON.stringify(err.issues), /store\.postgres\.password \(from HOOK_ALERTS_DATABASE_PASSWORD_FILE\).*cannot read .*missing \(ENOENT\)/);
  const both = refusal({ ...env, HOOK_ALERTS_DATABASE_PASSWORD: 'inline' });
  t.match(JSON.stringify(both.issues), /HOOK_ALERTS_DATABASE_PASSWORD and HOOK_ALERTS_DATABASE_PASSWORD_FILE.*both are set/, 'the password set twice is refused');
});

t.test('a bad database URL is refused by path and reason, never printed', async (t) => {
  for (const [url, reason] of [
    ['postgres://alerts:s3cret@db', /names no database/],
    ['postgres://alerts:p#ss@db/alerts', /not a URL.*percent-encoded/],
    ['mysql://alerts:s3cret@db/alerts', /the scheme is mysql; expected postgres:\/\//],
    ['postgres://alerts:s3cret@db/alerts?sslmode=verify', /sslmode=verify is not one of disable, prefer, require, verify-ca, verify-full, no-verify/],
  ] as const) {
    const err = refusal({ HOOK_ALERTS_DATABASE_URL: url });
    t.equal(err.code, 'HA_ERR_CONFIG_INVALID', url);
    t.match(err.message, /store\.postgres\.url \(from HOOK_ALERTS_DATABASE_URL\)/);
    t.match(err.message, reason);
    t.notMatch(err.message, /s3cret|p#ss/, 'the password is not in the message');
  }
});

t.test('on PostgreSQL the lease must outlast a send (another replica takes over a lease that ran out)', async (t) => {
  const file = join(t.testdir({ 'c.yaml': 'worker:\n  leaseMs: 30000\n  sendTimeoutMs: 30000\n' }), 'c.yaml');
  const err = (() => {
    try {
      loadConfig({ file, env: { ...TOKEN, HOOK_ALERTS_DATABASE_URL: 'postgres://alerts@db/alerts' } });
    } catch (e) {
      return e as HookAlertsError;
    }
    throw new Error('accepted');
  })();
  t.match(err.message, /worker\.leaseMs: must be longer than worker\.sendTimeoutMs \(30000\) with PostgreSQL/);
  t.equal(loadConfig({ file, env: TOKEN }).worker.leaseMs, 30000, 'SQLite (one process) keeps its leeway');
});

t.test('the password reaches node-postgres as a query parameter; logs see the URL without it', async (t) => {
  const url = new URL(withPassword('postgres://alerts:old@db:5432/alerts?sslmode=require', 'n3w/p@ss'));
  t.equal(url.password, '');
  t.equal(url.searchParams.get('password'), 'n3w/p@ss');
  t.equal(url.searchParams.get('sslmode'), 'require');
  t.equal(redactPostgresUrl('postgres://alerts:s3cret@db:5432/alerts'), 'postgres://alerts@db:5432/alerts');
  t.equal(redactPostgresUrl(url.toString()), 'postgres://alerts@db:5432/alerts?sslmode=require&password=***');
});
