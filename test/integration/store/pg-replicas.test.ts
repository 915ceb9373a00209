import pg from 'pg';
import t, { type Test } from 'tap';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { PG_MIGRATIONS } from '../../../src/store/postgres/pg-migrations.js';
import { contractV1Schema } from '../../../src/model/contract-v1.js';
import { toHookEvent } from '../../../src/intake/hook-event.js';
import { eventDedupeKey, type HookEvent } from '../../../src/model/hook-event.js';
import { failedBodyForOperation } from '../../support/contract-bodies.js';
import { testDatabase } from '../../support/postgres.js';

// Several PgStore instances on one database stand for replicas of the service: what one does must never
// make another send twice, open a second incident, or break its start.

function eventOf(op: number): HookEvent {
  const result = toHookEvent(contractV1Schema.parse(failedBodyForOperation(op)), ['PreSync'], new Date('2026-11-20T14:08:00Z'));
  if (!('event' in result)) throw new Error(result.ignored);
  return result.event;
}

async function replicas(t: Test, count: number): Promise<{ url: string; stores: PgStore[] } | null> {
  const url = await testDatabase(t);
  if (url === null) return null;
  // Opened at once: their migrations race, as replicas of a new Deployment do.
  const stores = await Promise.all(Array.from({ length: count }, (_, i) => PgStore.open({ url, ownerId: `replica-${i}`, poolSize: 4 })));
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  return { url, stores };
}

async function scalar(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Object.values((await client.query<Record<string, unknown>>(sql)).rows[0] ?? {})[0];
  } finally {
    await client.end();
  }
}

/** `n` incidents with one pending delivery each (distinct incidents: no thread order holds any back). */
async function deliveries(store: PgStore, n: number): Promise<void> {
  for (let op = 0; op < n; op += 1) {
    const event = eventOf(op);
    await store.acceptEvent(event, eventDedupeKey(event), 1_000);
  }
  for (const pending of await store.pendingEvents(n)) {
    await store.routeEvent(pending.id, null, [], [{ incidentId: pending.incidentId, target: 'file:outbox', kind: 'failed' }], 1_000);
  }
}

t.test('replicas starting together migrate once: every store opens, each version is applied once', async (t) => {
  const started = await replicas(t, 4);
  if (started === null) return;
  const { url, stores } = started;
  for (const store of stores) t.equal(await store.schemaVersion(), PG_MIGRATIONS.length);
  t.equal(Number(await scalar(url, 'SELECT COUNT(*) FROM schema_migrations')), PG_MIGRATIONS.length);
  const again = await PgStore.open({ url });
  t.equal(await again.schemaVersion(), PG_MIGRATIONS.length, 'a later start finds nothing to do');
  await again.close();
});

t.test('a database of a newer schema is refused, the password never printed', async (t) => {
  const started = await replicas(t, 1);
  if (started === null) return;
  await scalar(started.url, `INSERT INTO schema_migrations (version) VALUES (${PG_MIGRATIONS.length + 1})`);
  const withPassword = new URL(started.url);
  withPassword.password = 's3cret-pw';
  await t.rejects(PgStore.open({ url: started.url }), { code: 'HA_ERR_STORE_NEWER_SCHEMA', message: /newer than this build knows/ });
  const err = await PgStore.open({ url: withPassword.toString() }).then(
    () => null,
    (e: unknown) => e,
  );
  t.notMatch(String((err as Error | null)?.message), /s3cret-pw/);
});

t.test('the same events posted to two replicas at once give one incident each, one duplicate each', async (t) => {
  const started = await replicas(t, 2);
  if (started === null) return;
  const [a, b] = started.stores;
  if (a === undefined || b === undefined) throw new Error('two stores expected');
  const events = Array.from({ length: 40 }, (_, op) => eventOf(op));
  const answers = await Promise.all(
    events.map((event) => Promise.all([a, b].map((store) => store.acceptEvent(event, eventDedupeKey(event), 1_000)))),
  );
  for (const [first, second] of answers) {
    if (first === undefined || second === undefined || !('incidentId' in first) || !('incidentId' in second)) throw new Error('both accepted');
    t.equal(first.incidentId, second.incidentId);
    t.same([first.duplicate, second.duplicate].sort(), [false, true], 'one of the two is the duplicate');
  }
  t.equal(Number(await scalar(started.url, 'SELECT COUNT(*) FROM incidents')), 40);
  t.equal(Number(await scalar(started.url, 'SELECT COUNT(*) FROM events')), 40);
});

t.test('replicas claiming at once never get the same delivery, and together get them all', async (t) => {
  const started = await replicas(t, 3);
  if (started === null) return;
  const { stores } = started;
  const [first] = stores;
  if (first === undefined) throw new Error('stores expected');
  await deliveries(first, 120);
  const claimedBy = stores.map(() => [] as number[]);
  await Promise.all(
    stores.map(async (store, i) => {
      for (;;) {
        const batch = await store.claimDueDeliveries(2_000, 8, 60_000);
        if (batch.length === 0) return;
        claimedBy[i]?.push(...batch.map((d) => d.id));
      }
    }),
  );
  const all = claimedBy.flat();
  t.equal(all.length, 120, 'every delivery claimed');
  t.equal(new Set(all).size, 120, 'none claimed twice');
  t.ok(claimedBy.filter((ids) => ids.length > 0).length >= 2, `the work was shared (${claimedBy.map((ids) => ids.length).join(' / ')})`);
});

t.test('a live lease stays with its replica; an expired one is taken over as resumed, and only the holder records', async (t) => {
  const started = await replicas(t, 2);
  if (started === null) return;
  const [a, b] = started.stores;
  if (a === undefined || b === undefined) throw new Error('two stores expected');
  await deliveries(a, 1);
  const [claimed] = await a.claimDueDeliveries(1_000, 8, 60_000);
  if (claimed === undefined) throw new Error('a claims the delivery');
  t.equal(await b.releaseLeases(2_000), 0, 'a starting replica releases no lease of a live one');
  t.same(await b.claimDueDeliveries(2_000, 8, 60_000), [], 'the live lease is not taken');
  const [taken] = await b.claimDueDeliveries(61_000, 8, 60_000);
  t.match(taken, { id: claimed.id, resumed: true, attempts: 2, firstAttemptAt: 1_000 }, 'the expired lease is taken over, resumed');
  await a.markRetry(claimed.id, 'late answer', 62_000, 61_500);
  t.match(await b.listDeliveries(), [{ state: 'in_flight', attempts: 2 }], 'the former holder cannot put it back');
  await b.markSent(claimed.id, 'ref-b', 61_600);
  t.match(await a.listDeliveries(), [{ state: 'sent', ref: 'ref-b' }], 'the holder records the outcome');
});

t.test("a pending event another replica holds is left alone, and so are its app's later events, until its lease runs out", async (t) => {
  const url = await testDatabase(t);
  if (url === null) return;
  const [a, b, shortLived] = await Promise.all([
    PgStore.open({ url, ownerId: 'replica-a', eventLeaseMs: 60_000 }),
    PgStore.open({ url, ownerId: 'replica-b', eventLeaseMs: 60_000 }),
    PgStore.open({ url, ownerId: 'replica-dies', eventLeaseMs: 1 }),
  ]);
  t.teardown(() => Promise.all([a, b, shortLived].map((s) => s.close())));
  // Operations 1 and 2 are one app's; the app of operation 3 is another.
  const events = [eventOf(1), eventOf(2)];
  const other = toHookEvent(
    contractV1Schema.parse({ ...failedBodyForOperation(3), app: { ...(failedBodyForOperation(3) as { app: object }).app, name: 'other-app' } }),
    ['PreSync'],
    new Date('2026-11-20T14:08:00Z'),
  );
  if (!('event' in other)) throw new Error(other.ignored);
  for (const event of [...events, other.event]) await a.acceptEvent(event, eventDedupeKey(event), 1_000);
  const [held] = await a.pendingEvents(1);
  if (held === undefined) throw new Error('a takes the first event');
  await a.markEnrichmentStarted(held.id, true);
  t.same((await b.pendingEvents(10)).map((p) => p.event.app.name), ['other-app'], "b gets only the other app's event: a's live enrichment is no crash to b");
  t.same((await a.pendingEvents(10, [held.id])).map((p) => p.event.app.name), [held.event.app.name], "a goes on with the app's next event (b holds the other app's)");
  await a.markEnrichmentAbandoned(held.id, true);
  const dying = await shortLived.pendingEvents(10);
  t.ok(dying.some((p) => p.id === held.id), 'released by its abandonment, another replica may take it');
  await shortLived.markEnrichmentStarted(held.id, true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const resumed = (await b.pendingEvents(10)).find((p) => p.id === held.id);
  t.match(resumed, { enrichAttempts: 1, enrichSoloAttempts: 1 }, "once the dead holder's lease ran out, its cut-short attempt shows");
});
