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
import { contractBody, failedBodyForOperation, loadApplication } from '../../support/contract-bodies.js';

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

t.test('deliveries: unique per (incident, target, kind), leases, thread order, retry and give-up', async (t) => {
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const event = eventOf(contractBody(loadApplication('presync-job-failed'), 'hook-failed'));
  const accepted = store.acceptEvent(event, eventDedupeKey(event), 1_000);
  if (!('incidentId' in accepted)) throw new Error('not accepted');
  const [pending] = store.pendingEvents(10);
  if (pending === undefined) throw new Error('no pending event');
  const deliveries = [
    { incidentId: accepted.incidentId, target: 'slack:C1', kind: 'failed' as const },
    { incidentId: accepted.incidentId, target: 'slack:C1', kind: 'resolved' as const },
    { incidentId: accepted.incidentId, target: 'slack:C1', kind: 'failed' as const },
  ];
  store.routeEvent(pending.id, null, [], deliveries, 1_000);
  t.equal(store.listDeliveries().length, 2, 'the repeated (incident, target, kind) is one delivery');
  t.same(store.pendingEvents(10), [], 'the event is routed');

  const first = store.claimDueDeliveries(1_000, 10, 60_000);
  t.same(first.map((d) => d.kind), ['failed'], 'the reply waits for its thread root');
  t.equal(first[0]?.firstAttemptAt, 1_000);
  t.same(store.claimDueDeliveries(2_000, 10, 60_000), [], 'a leased delivery is not claimed twice');
  const again = store.claimDueDeliveries(61_000, 10, 60_000);
  t.equal(again[0]?.resumed, true, 'after its lease ran out it is resumed, and says so');
  t.equal(again[0]?.attempts, 2);
  t.equal(again[0]?.firstAttemptAt, 1_000, 'the first attempt time is kept');
  const id = again[0]?.id ?? -1;
  store.markRetry(id, 'HTTP 500', 70_000, 61_500);
  t.same(store.claimDueDeliveries(69_999, 10, 60_000), [], 'not before its next attempt');
  const third = store.claimDueDeliveries(70_000, 10, 60_000);
  t.equal(third[0]?.resumed, false);
  store.markSent(id, 'C1:1795618360.000100', 70_100);
  const reply = store.claimDueDeliveries(70_200, 10, 60_000);
  t.same(reply.map((d) => [d.kind, d.threadRootRef]), [['resolved', 'C1:1795618360.000100']], 'the reply knows its root');
  store.markGivenUp(reply[0]?.id ?? -1, 'failed', 'not_in_channel', 70_300);
  t.same(store.listDeliveries().map((d) => d.state), ['sent', 'failed']);
  t.same(store.queueDepth(), { events: 0, deliveries: 0 });
});

t.test('the retention sweep removes finished incidents only', async (t) => {
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const done = eventOf(failedBodyForOperation(1));
  const open = eventOf(failedBodyForOperation(2));
  const a = store.acceptEvent(done, eventDedupeKey(done), 1_000);
  const b = store.acceptEvent(open, eventDedupeKey(open), 1_000);
  if (!('incidentId' in a) || !('incidentId' in b)) throw new Error('not accepted');
  const [pa, pb] = store.pendingEvents(10);
  if (pa === undefined || pb === undefined) throw new Error('no pending events');
  store.routeEvent(pa.id, null, [], [{ incidentId: a.incidentId, target: 'file:outbox', kind: 'failed' }], 1_000);
  store.routeEvent(pb.id, null, [], [{ incidentId: b.incidentId, target: 'file:outbox', kind: 'failed' }], 1_000);
  const claimed = store.claimDueDeliveries(1_000, 10, 60_000);
  const sentId = claimed.find((d) => d.incidentId === a.incidentId)?.id ?? -1;
  store.markSent(sentId, 'x', 1_000);
  store.markRetry(claimed.find((d) => d.incidentId === b.incidentId)?.id ?? -1, 'down', 5_000, 1_000);
  const removed = store.sweep(10_000_000, 1_000_000);
  t.ok(removed >= 3, 'the finished incident, its event and its delivery are gone');
  t.same(store.listDeliveries().map((d) => d.incidentId), [b.incidentId], 'the unfinished one stays');
});

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
