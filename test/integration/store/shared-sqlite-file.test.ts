/**
 * Three connections share the SQLite file under `serve` (intake's, the intake writer thread's, the pipeline
 * thread's), and SQLite has one write lock. While another connection holds it, an accept waits (trying
 * again, not failing) and commits once the lock is free; a lock held past the busy timeout is an error, not
 * a hang; the readiness probe's writability check does not wait for it at all.
 */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { ThreadedGroupCommit } from '../../../src/store/intake-writer.js';
import { eventDedupeKey } from '../../../src/model/hook-event.js';
import { failedEvent, T0 } from '../../support/worker-harness.js';

/** A store in a fresh folder, its intake writer thread, and a second connection to the same file; all closed after the test. */
async function sharedFile(t: Test): Promise<{ store: SqliteStore; writer: ThreadedGroupCommit; other: Database.Database }> {
  const store = SqliteStore.open(t.testdir({}));
  t.teardown(() => store.close());
  const writer = await ThreadedGroupCommit.start(store.file);
  t.teardown(() => writer.close());
  const other = new Database(store.file);
  t.teardown(() => other.close());
  return { store, writer, other };
}

t.test('an accept waits while another connection holds the write lock, then commits', async (t) => {
  const { store, writer, other } = await sharedFile(t);
  other.exec('BEGIN IMMEDIATE');
  const event = failedEvent(1);
  let settled = false;
  const accepted = writer.accept(event, eventDedupeKey(event), T0).finally(() => {
    settled = true;
  });
  await new Promise((r) => setTimeout(r, 150));
  t.notOk(settled, 'not committed while the other connection holds the lock');
  other.exec('COMMIT');
  t.match(await accepted, { duplicate: false }, 'committed once the lock is free, without an error');
  t.equal(store.queueDepth().events, 1, 'the event is stored');
});

t.test('a lock held past the busy timeout fails the accept with SQLITE_BUSY', async (t) => {
  const { writer, other } = await sharedFile(t);
  other.exec('BEGIN IMMEDIATE');
  const event = failedEvent(2);
  await t.rejects(writer.accept(event, eventDedupeKey(event), T0), { code: /^SQLITE_BUSY/ });
  other.exec('ROLLBACK');
  t.match(await writer.accept(event, eventDedupeKey(event), T0), { duplicate: false }, 'the writer works again once the lock is free');
});

t.test("the readiness check does not wait for another connection's write lock: the lock proves the file takes writes", async (t) => {
  const dir = t.testdir({});
  const store = SqliteStore.open(dir);
  t.teardown(() => store.close());
  const other = new Database(store.file);
  t.teardown(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  const started = performance.now();
  t.doesNotThrow(() => store.checkWritable(), 'writable while another connection writes');
  // Not a timing goal: the busy timeout is 5 s, so a check that waited for the lock would take all of it.
  t.ok(performance.now() - started < 2_500, 'answered without waiting for the lock');
  other.exec('ROLLBACK');
  t.doesNotThrow(() => store.checkWritable(), 'and when nobody does');
});
