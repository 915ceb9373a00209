import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE, SqliteStore } from '../../../src/store/sqlite-store.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import type { HookAlertsError } from '../../../src/errors.js';
import { contractV1Schema } from '../../../src/model/contract-v1.js';
import { eventDedupeKey, type HookEvent } from '../../../src/model/hook-event.js';
import { toHookEvent } from '../../../src/intake/hook-event.js';
import { failedBodyForOperation } from '../../support/contract-bodies.js';

function eventOf(body: unknown): HookEvent {
  const result = toHookEvent(contractV1Schema.parse(body), ['PreSync'], new Date('2026-11-20T14:08:00Z'));
  if (!('event' in result)) throw new Error(result.ignored);
  return result.event;
}

t.test('a new store is migrated to the latest schema version; reopening keeps the data', async (t) => {
  const dir = t.testdir({});
  const store = SqliteStore.open(dir);
  t.equal(store.schemaVersion(), MIGRATIONS.length);
  const event = eventOf(failedBodyForOperation(1));
  const accepted = store.acceptEvent(event, eventDedupeKey(event), 1_000);
  store.close();
  const again = SqliteStore.open(dir);
  t.teardown(() => again.close());
  t.equal(again.schemaVersion(), MIGRATIONS.length);
  t.same(again.acceptEvent(event, eventDedupeKey(event), 2_000), { ...accepted, duplicate: true });
});

t.test('a database of a newer schema is refused with a clear error', async (t) => {
  const dir = t.testdir({});
  SqliteStore.open(dir).close();
  const db = new Database(join(dir, DATABASE_FILE));
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  const err = t.throws(() => SqliteStore.open(dir)) as HookAlertsError;
  t.equal(err.code, 'HA_ERR_STORE_NEWER_SCHEMA');
  t.match(err.message, new RegExp(`schema version ${MIGRATIONS.length + 1}, newer than this build knows \\(${MIGRATIONS.length}\\)`));
  t.match(err.message, /run the newer argocd-hook-alerts release/);
});

t.test('a corrupt database file is refused with a clear error', async (t) => {
  const dir = t.testdir({ [DATABASE_FILE]: 'this is not a SQLite database, just text that fills the header page. '.repeat(100) });
  const err = t.throws(() => SqliteStore.open(dir)) as HookAlertsError;
  t.equal(err.code, 'HA_ERR_STORE_CORRUPT');
  t.match(err.message, /cannot be opened/);
  t.match(err.message, /restore it from a backup or move it away/);
});

t.test('a truncated database is refused too', async (t) => {
  const dir = t.testdir({});
  SqliteStore.open(dir).close();
  const file = join(dir, DATABASE_FILE);
  const db = new Database(file);
  const size = Number(db.pragma('page_size', { simple: true })) * Number(db.pragma('page_count', { simple: true }));
  db.close();
  const bytes = Buffer.alloc(Math.floor(size / 2), 0x5a);
  writeFileSync(file, bytes);
  t.throws(() => SqliteStore.open(dir), { code: 'HA_ERR_STORE_CORRUPT' });
});

// Deliveries, the retention sweep and the rest of the store's contract: test/support/store-suite.ts, run on
// both adapters by test/integration/store/*-store-suite.test.ts.

t.test('a version 1 store is migrated: incidents_open is dropped, incidents stay and still resolve', async (t) => {
  const dir = t.testdir({});
  const v1 = new Database(join(dir, DATABASE_FILE));
  v1.exec(MIGRATIONS[0] ?? '');
  v1.pragma('user_version = 1');
  v1.close();
  const store = SqliteStore.open(dir);
  t.teardown(() => store.close());
  t.equal(store.schemaVersion(), MIGRATIONS.length);
  const failed = eventOf(failedBodyForOperation(7));
  const accepted = store.acceptEvent(failed, eventDedupeKey(failed), 1_000);
  t.ok('incidentId' in accepted);
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  t.teardown(() => db.close());
  const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'incidents'`).all() as { name: string }[];
  t.notOk(indexes.some((i) => i.name === 'incidents_open'));
  const plan = db
    .prepare(`EXPLAIN QUERY PLAN SELECT id FROM incidents WHERE app_namespace = ? AND app_name = ? AND state = 'open' ORDER BY started_at DESC`)
    .all('argocd', 'payments-api') as { detail: string }[];
  t.match(plan.map((p) => p.detail).join('\n'), /USING INDEX sqlite_autoindex_incidents_2 \(app_namespace=\? AND app_name=\?\)/, 'the UNIQUE index serves the open-incident lookup');
});
