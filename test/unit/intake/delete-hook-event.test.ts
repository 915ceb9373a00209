import t from 'tap';
import { contractV1Schema } from '../../../src/model/contract-v1.js';
import { incidentId, incidentKey } from '../../../src/model/hook-event.js';
import { toHookEvent } from '../../../src/intake/hook-event.js';
import { loadApplication, renderedBody } from '../../support/contract-bodies.js';

const NOW = new Date('2026-11-22T10:17:00Z');

function normalize(app: Record<string, unknown>, types: Parameters<typeof toHookEvent>[1]): ReturnType<typeof toHookEvent> {
  return toHookEvent(contractV1Schema.parse(renderedBody(app, 'hook-failed')), types, NOW);
}

t.test('PostDelete: every hook the DeletionError names, in its namespace; the deletion is the operation', async (t) => {
  const res = normalize(loadApplication('postdelete-hook-failed'), ['PostDelete']);
  if (!('event' in res)) throw new Error(`ignored: ${res.ignored}`);
  t.same(
    res.event.hooks.map((h) => [h.hookType, h.namespace, h.name, h.kind]),
    [
      ['PostDelete', 'payments', 'drop-schema', 'Job'],
      ['PostDelete', 'payments-audit', 'archive-ledger', 'Job'],
    ],
  );
  t.equal(res.event.operation?.phase, 'DeletionError');
  t.equal(res.event.operation?.startedAt, '2026-11-22T11:02:40Z', 'the deletionTimestamp');
  t.equal(res.event.operation?.finishedAt, '2026-11-22T11:04:12Z', "the condition's lastTransitionTime");
  const key = incidentKey(res.event);
  t.ok(key !== null && incidentId(key).startsWith('inc_'));
});

t.test('a delete hook of a type that does not alert, or no DeletionError, falls back to the sync path', async (t) => {
  const pre = normalize(loadApplication('predelete-hook-failed'), ['PreSync', 'PostDelete']);
  t.ok('ignored' in pre, 'PreDelete is not chosen: the stale Succeeded operation has no failed hook');
  const app = structuredClone(loadApplication('predelete-hook-failed'));
  (app.status as { conditions: unknown[] }).conditions = [{ type: 'ComparisonError', message: 'PreDelete hook(s) failed: payments/x' }];
  t.ok('ignored' in normalize(app, ['PreDelete']), 'only a DeletionError counts');
});
