import type { Test } from 'tap';
import type { AlertStore } from '../../src/store/alert-store.js';
import { contractV1Schema } from '../../src/model/contract-v1.js';
import { eventDedupeKey, type HookEvent } from '../../src/model/hook-event.js';
import { toHookEvent } from '../../src/intake/hook-event.js';
import type { CaptureSnapshot } from '../../src/model/capture-snapshot.js';
import type { AlertReport } from '../../src/model/job-report.js';
import { captureSnapshot } from './capture-snapshots.js';
import { contractBody, failedBodyForOperation, loadApplication } from './contract-bodies.js';

/**
 * The store's contract, run against each adapter (test/integration/store/*-store-suite.test.ts): the same
 * calls must give the same answers on SQLite and on PostgreSQL. `open` gives a fresh, migrated, empty store
 * closed at the end of `t`, or null when this machine cannot have one (the test is skipped, saying why).
 */
export type OpenStore = (t: Test) => Promise<AlertStore | null>;

function eventOf(body: unknown): HookEvent {
  const result = toHookEvent(contractV1Schema.parse(body), ['PreSync'], new Date('2026-11-20T14:08:00Z'));
  if (!('event' in result)) throw new Error(result.ignored);
  return result.event;
}

function succeededOf(failed: unknown): HookEvent {
  const body = structuredClone(failed) as { event: string; operationState: { phase: string } };
  body.event = 'sync-succeeded';
  body.operationState.phase = 'Succeeded';
  const result = toHookEvent(contractV1Schema.parse(body), ['PreSync'], new Date('2026-11-20T14:20:00Z'));
  if (!('event' in result)) throw new Error(result.ignored);
  return result.event;
}

/** A successful sync whose hook Jobs succeeded, as intake keeps it when the cluster can be read (hook-skipped checks). */
function succeededWithHooksOf(failed: unknown): HookEvent {
  const body = structuredClone(failed) as { event: string; operationState: { phase: string; syncResult: { resources: { hookType?: string; hookPhase?: string }[] } } };
  body.event = 'sync-succeeded';
  body.operationState.phase = 'Succeeded';
  for (const r of body.operationState.syncResult.resources) if (r.hookType !== undefined) r.hookPhase = 'Succeeded';
  const result = toHookEvent(contractV1Schema.parse(body), ['PreSync'], new Date('2026-11-20T14:20:00Z'), { checkSucceeded: true });
  if (!('event' in result)) throw new Error(result.ignored);
  return result.event;
}

function snapshot(podUid: string, bytes: number): CaptureSnapshot {
  return captureSnapshot(`pod-${podUid}`, podUid, 'x'.repeat(bytes));
}

/** Accept the failure of operation `op` and route it to `target`; returns the incident and the event's id. */
async function routed(store: AlertStore, op: number, target: string, report: AlertReport | null = null, appName?: string): Promise<{ incidentId: string; eventId: number }> {
  const event = eventOf(failedBodyForOperation(op, appName));
  const accepted = await store.acceptEvent(event, eventDedupeKey(event), 1_000);
  if (!('incidentId' in accepted)) throw new Error('not accepted');
  const pending = (await store.pendingEvents(10)).find((p) => p.incidentId === accepted.incidentId);
  if (pending === undefined) throw new Error('no pending event');
  await store.routeEvent(pending.id, report, [], [{ incidentId: accepted.incidentId, target, kind: 'failed' }], 1_000);
  return { incidentId: accepted.incidentId, eventId: pending.id };
}

/** Register the shared store tests on `t`. */
export function storeSuite(t: Test, open: OpenStore): void {
  t.test('accepting: a new incident, a duplicate by dedupe key, a resolution of the open incident', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const failedBody = failedBodyForOperation(1);
    const failed = eventOf(failedBody);
    const first = await store.acceptEvent(failed, eventDedupeKey(failed), 1_000);
    if (!('incidentId' in first)) throw new Error('not accepted');
    t.equal(first.duplicate, false);
    t.same(await store.acceptEvent(failed, eventDedupeKey(failed), 2_000), { incidentId: first.incidentId, duplicate: true }, 'the repeat is a duplicate of the same incident');
    const resolved = succeededOf(failedBody);
    const resolution = await store.acceptEvent(resolved, eventDedupeKey(resolved), 3_000);
    t.same(resolution, { incidentId: first.incidentId, duplicate: false }, 'the success resolves the open incident');
    const again = await store.acceptEvent(resolved, eventDedupeKey(resolved), 4_000);
    t.same(again, { incidentId: first.incidentId, duplicate: true });
    const other = succeededOf(failedBodyForOperation(2));
    t.match(await store.acceptEvent(other, `${eventDedupeKey(other)}-x`, 5_000), { ignored: /no open incident/ }, 'nothing left open to resolve');
    const pending = await store.pendingEvents(10);
    t.same(pending.map((p) => p.event.kind), ['hook-failed', 'sync-succeeded']);
    t.same(await store.incidentsResolvedBy(pending[1]?.id ?? -1), [first.incidentId]);
    t.same(await store.queueDepth(), { events: 2, deliveries: 0 });
  });

  t.test('a batch commits together and answers each event', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const a = eventOf(failedBodyForOperation(3));
    const b = eventOf(failedBodyForOperation(4));
    const results = await store.acceptEvents([
      { event: a, dedupeKey: eventDedupeKey(a), now: 1_000 },
      { event: b, dedupeKey: eventDedupeKey(b), now: 1_000 },
      { event: a, dedupeKey: eventDedupeKey(a), now: 1_000 },
    ]);
    t.same(results.map((r) => ('duplicate' in r ? r.duplicate : r.ignored)), [false, false, true]);
    t.equal((await store.pendingEvents(10)).length, 2);
  });

  t.test('deliveries: unique per (incident, target, kind), leases, thread order, retry and give-up', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const event = eventOf(contractBody(loadApplication('presync-job-failed'), 'hook-failed'));
    const accepted = await store.acceptEvent(event, eventDedupeKey(event), 1_000);
    if (!('incidentId' in accepted)) throw new Error('not accepted');
    const [pending] = await store.pendingEvents(10);
    if (pending === undefined) throw new Error('no pending event');
    const deliveries = [
      { incidentId: accepted.incidentId, target: 'slack:C1', kind: 'failed' as const },
      { incidentId: accepted.incidentId, target: 'slack:C1', kind: 'resolved' as const },
      { incidentId: accepted.incidentId, target: 'slack:C1', kind: 'failed' as const },
    ];
    await store.routeEvent(pending.id, null, [], deliveries, 1_000);
    t.equal((await store.listDeliveries()).length, 2, 'the repeated (incident, target, kind) is one delivery');
    t.same(await store.pendingEvents(10), [], 'the event is routed');
    t.same(await store.targetsOfIncident(accepted.incidentId), ['slack:C1']);

    const first = await store.claimDueDeliveries(1_000, 10, 60_000);
    t.same(first.map((d) => d.kind), ['failed'], 'the reply waits for its thread root');
    t.equal(first[0]?.firstAttemptAt, 1_000);
    t.equal(first[0]?.resumed, false);
    t.same(first[0]?.event, event, 'the event comes back as it was stored');
    t.same(await store.claimDueDeliveries(2_000, 10, 60_000), [], 'a leased delivery is not claimed twice');
    const again = await store.claimDueDeliveries(61_000, 10, 60_000);
    t.equal(again[0]?.resumed, true, 'after its lease ran out it is resumed, and says so');
    t.equal(again[0]?.attempts, 2);
    t.equal(again[0]?.firstAttemptAt, 1_000, 'the first attempt time is kept');
    const id = again[0]?.id ?? -1;
    await store.markRetry(id, 'HTTP 500', 70_000, 61_500);
    t.same(await store.claimDueDeliveries(69_999, 10, 60_000), [], 'not before its next attempt');
    const third = await store.claimDueDeliveries(70_000, 10, 60_000);
    t.equal(third[0]?.resumed, false);
    await store.markSent(id, 'C1:1795618360.000100', 70_100);
    const reply = await store.claimDueDeliveries(70_200, 10, 60_000);
    t.same(reply.map((d) => [d.kind, d.threadRootRef]), [['resolved', 'C1:1795618360.000100']], 'the reply knows its root');
    await store.markGivenUp(reply[0]?.id ?? -1, 'failed', 'not_in_channel', 70_300);
    t.match(await store.listDeliveries(), [
      { state: 'sent', ref: 'C1:1795618360.000100', lastError: null, attempts: 3 },
      { state: 'failed', lastError: 'not_in_channel', attempts: 1 },
    ]);
    t.same(await store.queueDepth(), { events: 0, deliveries: 0 });
  });

  t.test('the report and findings routed with an event reach its deliveries', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const report = { hooks: [], notes: ['cluster unreachable'], enrichedAt: '2026-11-20T14:08:01.000Z', durationMs: 12 };
    await routed(store, 5, 'file:outbox', report);
    const [claimed] = await store.claimDueDeliveries(1_000, 10, 60_000);
    t.same(claimed?.report, report);
    t.same(claimed?.findings, []);
    t.equal(claimed?.threadRootRef, null);
  });

  t.test('enrichment attempts: started, shared and abandoned attempts are counted back', async (t) => {
    const store = await open(t);
    if (store === null) return;
    for (const i of [10, 11]) {
      const e = eventOf(failedBodyForOperation(i));
      await store.acceptEvent(e, eventDedupeKey(e), 1_000);
    }
    const [a, b] = (await store.pendingEvents(10)).map((p) => p.id);
    if (a === undefined || b === undefined) throw new Error('two events expected');
    await store.markEnrichmentStarted(a, true);
    await store.markEnrichmentStarted(b, false);
    await store.markEnrichmentShared(a);
    t.same((await store.pendingEvents(10)).map((p) => [p.enrichAttempts, p.enrichSoloAttempts]), [[1, 0], [1, 0]]);
    await store.markEnrichmentAbandoned(b, false);
    t.same((await store.pendingEvents(10)).map((p) => [p.enrichAttempts, p.enrichSoloAttempts]), [[1, 0], [0, 0]]);
    t.same((await store.pendingEvents(10, [a])).map((p) => p.id), [b], 'events being enriched are left out');
  });

  t.test('the retention sweep removes finished incidents only', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const a = await routed(store, 1, 'file:outbox');
    const b = await routed(store, 2, 'file:outbox');
    const claimed = await store.claimDueDeliveries(1_000, 10, 60_000);
    await store.markSent(claimed.find((d) => d.incidentId === a.incidentId)?.id ?? -1, 'x', 1_000);
    await store.markRetry(claimed.find((d) => d.incidentId === b.incidentId)?.id ?? -1, 'down', 5_000, 1_000);
    const removed = await store.sweep(10_000_000, 1_000_000);
    t.equal(removed, 3, 'the finished incident, its event and its delivery are gone');
    t.same((await store.listDeliveries()).map((d) => d.incidentId), [b.incidentId], 'the unfinished one stays');
  });

  t.test('captures: replaced per pod, found per Job newest first, expired, and capped by size', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const sizeOf = (bytes: number): number => Buffer.byteLength(JSON.stringify(snapshot('u0', bytes)));
    // Room for the two newest snapshots below, not for a third.
    const cap = sizeOf(1_000) + sizeOf(600) + 10;
    const captures = store.captureStore({ ttlMs: 10_000, maxTotalBytes: cap });
    await captures.save('c1', 'migrate', snapshot('u1', 500), 1_000);
    await captures.save('c1', 'migrate', snapshot('u2', 500), 2_000);
    await captures.save('c1', 'migrate', snapshot('u1', 600), 3_000);
    t.same((await captures.forJob('c1', 'payments', 'migrate', 3_000)).map((c) => c.pod.uid), ['u1', 'u2'], 'newest first, one per pod');
    t.ok(await captures.has('c1', 'u2', 11_999));
    t.notOk(await captures.has('c1', 'u2', 12_001), 'expired');
    t.notOk(await captures.has('c2', 'u2', 3_000), 'per cluster');
    t.equal((await captures.stats()).count, 2);
    await captures.save('c1', 'migrate', snapshot('u3', 1_000), 4_000);
    t.same((await captures.forJob('c1', 'payments', 'migrate', 4_000)).map((c) => c.pod.uid), ['u3', 'u1'], 'the oldest is dropped past the cap');
    t.ok((await captures.stats()).bytes <= cap);
    t.equal(await store.sweep(20_000, 1_000_000), 2, 'the sweep deletes expired captures');
  });

  t.test('listing: app, last change, filter by state', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const a = await routed(store, 7, 'slack:C1');
    await routed(store, 8, 'slack:C1');
    const [claimed] = await store.claimDueDeliveries(2_000, 1, 60_000);
    await store.markGivenUp(claimed?.id ?? -1, 'dead', 'gave up', 3_000);
    const all = await store.listDeliveries();
    t.match(all, [
      { incidentId: a.incidentId, app: /^[^/]+\/[^/]+$/, state: 'dead', updatedAt: 3_000, replayedAt: null, replayedBy: null },
      { state: 'pending', updatedAt: 1_000 },
    ]);
    t.same((await store.listDeliveries('dead')).map((d) => d.id), [all[0]?.id]);
    t.same((await store.listDeliveries('pending')).map((d) => d.id), [all[1]?.id]);
    t.same(await store.listDeliveries('sent'), []);
  });

  t.test('replay: a dead or failed delivery is pending again, due now, attempts kept, who and when recorded', async (t) => {
    const store = await open(t);
    if (store === null) return;
    await routed(store, 9, 'slack:C1');
    await routed(store, 12, 'slack:C2');
    const [dead, failed] = await store.claimDueDeliveries(1_000, 2, 60_000);
    if (dead === undefined || failed === undefined) throw new Error('two deliveries expected');
    t.equal(dead.ageFrom, 1_000, 'the age counts from the creation');
    t.equal(await store.oldestUnfinishedDelivery(), 1_000, 'the backlog is as old as the oldest delivery in flight');
    await store.markGivenUp(dead.id, 'dead', 'gave up after 1 attempts', 2_000);
    await store.markGivenUp(failed.id, 'failed', 'channel_not_found', 2_000);

    const result = await store.replayDelivery(dead.id, 'alice', 50_000);
    t.match(result, { status: 'replayed', delivery: { id: dead.id, state: 'pending', attempts: 1, replayedAt: 50_000, replayedBy: 'alice', updatedAt: 50_000 } });
    t.same(await store.claimDueDeliveries(49_999, 10, 60_000), [], 'not due before the replay');
    t.same(await store.queueDepth(), { events: 0, deliveries: 1 }, 'counted as queued again');
    t.equal(await store.oldestUnfinishedDelivery(), 50_000, 'a replayed delivery counts from its replay in the backlog age');
    const [again] = await store.claimDueDeliveries(50_000, 10, 60_000);
    t.equal(again?.id, dead.id, 'claimed by the next poll');
    t.equal(again?.attempts, 2, 'its attempts are kept');
    t.equal(again?.ageFrom, 50_000, 'its age counts from the replay');
    t.equal(again?.createdAt, 1_000, 'its creation is unchanged');
    t.equal(again?.resumed, false);

    t.match(await store.replayDelivery(failed.id, 'bob', 60_000), { status: 'replayed', delivery: { replayedBy: 'bob', state: 'pending' } });
    t.same(await store.replayDelivery(failed.id, 'bob', 61_000), { status: 'not_replayable', state: 'pending' }, 'a pending one is refused');
    t.same(await store.replayDelivery(dead.id, 'bob', 61_000), { status: 'not_replayable', state: 'in_flight' }, 'an in-flight one is refused');
    await store.markSent(dead.id, 'C1:1', 62_000);
    t.same(await store.replayDelivery(dead.id, 'bob', 63_000), { status: 'not_replayable', state: 'sent' }, 'a sent one is refused');
    t.same(await store.replayDelivery(9_999, 'bob', 63_000), { status: 'unknown' });
    const [last] = await store.claimDueDeliveries(63_000, 10, 60_000);
    await store.markSent(last?.id ?? -1, 'C2:1', 63_000);
    t.equal(await store.oldestUnfinishedDelivery(), null, 'nothing waits');
    t.match(await store.listDeliveries('sent'), [{ id: dead.id, replayedBy: 'alice', replayedAt: 50_000 }], 'the replay stays on record');
  });

  t.test('a delivery names its incident by its id alone (the replay form\'s check); an unknown one names none', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const first = await routed(store, 40, 'slack:C1');
    const second = await routed(store, 41, 'slack:C1', null, 'billing');
    const deliveryOf = new Map((await store.listDeliveries()).map((d) => [d.incidentId, d.id]));
    t.equal(await store.deliveryIncidentId(deliveryOf.get(first.incidentId) ?? -1), first.incidentId);
    t.equal(await store.deliveryIncidentId(deliveryOf.get(second.incidentId) ?? -1), second.incidentId);
    t.equal(await store.deliveryIncidentId(9_999), null);
  });

  t.test('incidents: listed newest first, filtered by app, project and state, paged; one in detail', async (t) => {
    const store = await open(t);
    if (store === null) return;
    const report: AlertReport = { hooks: [], notes: ['from the suite'], enrichedAt: '2026-11-20T14:08:01Z', durationMs: 5 };
    const first = await routed(store, 30, 'slack:C1', report);
    const second = await routed(store, 31, 'slack:C1', null, 'billing');
    const third = await routed(store, 32, 'email:a@example.com', null, 'orders');
    const project = eventOf(failedBodyForOperation(30)).app.project;
    const [claimed] = await store.claimDueDeliveries(2_000, 1, 60_000);
    await store.markGivenUp(claimed?.id ?? -1, 'dead', 'channel_not_found', 3_000);
    const resolution = succeededOf(failedBodyForOperation(32, 'orders'));
    await store.acceptEvent(resolution, eventDedupeKey(resolution), 4_000);
    const quiet = succeededWithHooksOf(failedBodyForOperation(33, 'quiet'));
    t.match(await store.acceptEvent(quiet, eventDedupeKey(quiet), 5_000), { incidentId: String, duplicate: false }, 'a success whose hooks are checked is stored in an incident of its own');

    const all = await store.listIncidents({ limit: 10, offset: 0 });
    t.same(all.incidents.map((i) => i.id).sort(), [first.incidentId, second.incidentId, third.incidentId].sort(), 'not the incident of a success that alerted nobody');
    t.equal(all.more, false);
    const firstThree = await store.listIncidents({ limit: 3, offset: 0 });
    t.same([firstThree.incidents.length, firstThree.more], [3, false], 'a page is full and says no more: the quiet incident is left out by the query, not after it');
    t.match(all.incidents.find((i) => i.id === first.incidentId), { appName: 'payments-api', state: 'open', unsentDeliveries: 1, lastEvent: { kind: 'hook-failed' } });
    t.match(all.incidents.find((i) => i.id === third.incidentId), { state: 'resolved', resolvedAt: 4_000, lastEvent: { kind: 'hook-failed' } }, 'the resolution is not the headline');
    t.same((await store.listIncidents({ app: 'billing', limit: 10, offset: 0 })).incidents.map((i) => i.id), [second.incidentId]);
    t.same((await store.listIncidents({ app: `${all.incidents[0]?.appNamespace ?? ''}/billing`, limit: 10, offset: 0 })).incidents.map((i) => i.id), [second.incidentId], 'namespace/name');
    t.same((await store.listIncidents({ app: 'nobody', limit: 10, offset: 0 })).incidents, []);
    t.same((await store.listIncidents({ state: 'resolved', limit: 10, offset: 0 })).incidents.map((i) => i.id), [third.incidentId]);
    t.equal((await store.listIncidents({ project: project ?? 'default', limit: 10, offset: 0 })).incidents.length, 3, 'by the project of its events');
    t.same((await store.listIncidents({ project: 'elsewhere', limit: 10, offset: 0 })).incidents, []);
    const page1 = await store.listIncidents({ limit: 2, offset: 0 });
    const page2 = await store.listIncidents({ limit: 2, offset: 2 });
    t.equal(page1.more, true);
    t.equal(page2.more, false);
    t.same([...page1.incidents, ...page2.incidents].map((i) => i.id).length, 3, 'two pages hold all three, once each');
    t.equal(new Set([...page1.incidents, ...page2.incidents].map((i) => i.id)).size, 3);

    const detail = await store.incidentDetail(first.incidentId);
    t.match(detail, {
      summary: { id: first.incidentId, state: 'open' },
      events: [{ id: first.eventId, state: 'routed', receivedAt: 1_000, routedAt: 1_000, event: { kind: 'hook-failed' }, report: { notes: ['from the suite'] }, findings: [] }],
      deliveries: [{ target: 'slack:C1', state: 'dead', attempts: 1, lastError: 'channel_not_found', createdAt: 1_000, sentAt: null, firstAttemptAt: 2_000 }],
    });
    const resolved = await store.incidentDetail(third.incidentId);
    t.same(resolved?.events.map((e) => e.event.kind), ['hook-failed', 'sync-succeeded'], 'the resolving event is part of the story');
    t.equal(await store.incidentDetail('inc_00000000000000000000'), null);
  });

  t.test('email attempts: the last transaction per delivery, its answer', async (t) => {
    const store = await open(t);
    if (store === null) return;
    await routed(store, 6, 'email:a@example.com');
    const [d] = await store.listDeliveries();
    if (d === undefined) throw new Error('no delivery');
    const log = store.emailAttempts();
    t.equal(await log.last(d.id), null);
    await log.dataStarted(d.id, 1, '<m1@example.com>', 2_000);
    await log.answered(d.id, 1, 451, 'try later', 2_100);
    await log.dataStarted(d.id, 2, '<m1@example.com>', 3_000);
    t.same(await log.last(d.id), { deliveryId: d.id, attempt: 2, messageId: '<m1@example.com>', dataStartedAt: 3_000, answerCode: null, answerText: null, answeredAt: null });
    await log.answered(d.id, 2, 250, `ok ${'x'.repeat(600)}`, 3_100);
    t.match(await log.last(d.id), { attempt: 2, answerCode: 250, answeredAt: 3_100 });
    t.equal((await log.last(d.id))?.answerText?.length, 512, 'a long reply is cut');
  });
}
