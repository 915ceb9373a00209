import t from 'tap';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { contractV1Schema } from '../../../src/model/contract-v1.js';
import { toHookEvent } from '../../../src/intake/hook-event.js';
import { eventDedupeKey, type HookEvent } from '../../../src/model/hook-event.js';
import { hookFailedBody, operationStart } from '../../support/hook-failed-body.js';

function event(i: number): HookEvent {
  const result = toHookEvent(contractV1Schema.parse(hookFailedBody({ startedAt: operationStart(i) })), ['PreSync'], new Date('2026-11-20T14:07:15Z'));
  if (!('event' in result)) throw new Error(result.ignored);
  return result.event;
}

t.test('enrichment attempts survive a reopen; shared and abandoned attempts are taken back', async (t) => {
  const dir = t.testdir({});
  const store = SqliteStore.open(dir);
  for (const i of [0, 1, 2]) store.acceptEvent(event(i), eventDedupeKey(event(i)), 1_000);
  const [a, b, c] = store.pendingEvents(10).map((p) => p.id);
  if (a === undefined || b === undefined || c === undefined) throw new Error('three events expected');
  store.markEnrichmentStarted(a, true);
  store.markEnrichmentStarted(b, false);
  store.markEnrichmentShared(a);
  store.markEnrichmentStarted(c, true);
  store.markEnrichmentAbandoned(c, true);
  store.close();

  const reopened = SqliteStore.open(dir);
  t.teardown(() => reopened.close());
  t.same(
    reopened.pendingEvents(10).map((p) => [p.enrichAttempts, p.enrichSoloAttempts]),
    [
      [1, 0],
      [1, 0],
      [0, 0],
    ],
    'a and b were cut short beside each other; c was stopped on purpose',
  );
  t.same(reopened.pendingEvents(10, [a, c]).map((p) => p.id), [b], 'events being enriched are left out');
});
