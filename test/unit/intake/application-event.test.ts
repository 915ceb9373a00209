/*
 * The backstop's reading of an Application (src/intake/application-event.ts) against the webhook's: for every
 * Application fixture of test/fixtures/apps (shapes from argo-cd v3.5.1, see its README), the watch derives
 * exactly the events whose dedupe keys the rendered webhook bodies have, so the two paths make one event.
 */
import t from 'tap';
import { applicationSchema } from '../../../src/kube/kube-objects.js';
import { contractV1Schema } from '../../../src/model/contract-v1.js';
import { eventDedupeKey } from '../../../src/model/hook-event.js';
import type { HookType } from '../../../src/model/hook-type.js';
import { toHookEvent } from '../../../src/intake/hook-event.js';
import { hookFailedEventsOf, subscribedRecipients } from '../../../src/intake/application-event.js';
import { appFixtureNames, loadApplication, loadExpectations, renderedBody } from '../../support/contract-bodies.js';

const NOW = new Date('2026-11-22T10:17:00Z');
const TRIGGERS = ['on-hook-failed', 'on-delete-hook-failed'];
const ALL: HookType[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PreDelete', 'PostDelete'];

t.test('recipients: the subscriptions of our service, per trigger or by default triggers, split on ;', async (t) => {
  const annotations = {
    'notifications.argoproj.io/subscribe.hook-alerts': 'team-a',
    'notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts': ' team-b ; ;team-a',
    'notifications.argoproj.io/subscribe.on-hook-retrying.hook-alerts': 'team-c',
    'notifications.argoproj.io/subscribe.on-sync-failed.slack': 'ops',
  };
  t.same(subscribedRecipients(annotations, 'hook-alerts', TRIGGERS), ['team-a', 'team-b']);
  t.same(subscribedRecipients(annotations, 'other', TRIGGERS), []);
});

t.test('every fixture: the watch derives the events (and dedupe keys) of the webhook bodies the triggers send', async (t) => {
  const expectations = loadExpectations();
  for (const name of appFixtureNames()) {
    const raw = loadApplication(name);
    const app = applicationSchema.parse(raw);
    const fired = expectations[name]?.allHookTypes ?? [];
    const derived = hookFailedEventsOf(app, { hookTypes: ALL, serviceName: 'hook-alerts', triggers: TRIGGERS, defaultRecipient: 'team-payments', argocdUrl: 'https://argocd.example.com', receivedAt: NOW });
    if (!Array.isArray(derived)) throw new Error(`${name}: ${derived.invalid}`);
    const recipients = subscribedRecipients(app.metadata.annotations, 'hook-alerts', TRIGGERS);
    const webhook = fired.includes('hook-failed')
      ? (recipients.length > 0 ? recipients : ['team-payments']).map((recipient) => {
          const res = toHookEvent(contractV1Schema.parse(renderedBody(raw, 'hook-failed', recipient)), ALL, NOW);
          if (!('event' in res)) throw new Error(`${name}: ${res.ignored}`);
          return eventDedupeKey(res.event);
        })
      : [];
    t.same(derived.map(eventDedupeKey), webhook, `${name}: ${fired.includes('hook-failed') ? 'the same events' : 'nothing, as no hook-failed trigger fires'}`);
    for (const event of derived) t.equal(event.seenBy, 'watch', `${name}: recorded as seen by the watch`);
  }
});
