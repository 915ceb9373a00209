import t from 'tap';
import { parse } from 'yaml';
import { generateOptionsSchema, type GenerateOptions } from '../../../src/argocd/generate-options.js';
import {
  TRIGGER_NAMES,
  generateNotificationsConfig,
  mergeSubscriptions,
  serviceBaseUrl,
} from '../../../src/argocd/notifications-config.js';
import { checkNotificationsCm } from '../../../src/argocd/check-notifications-cm.js';
import { bodyWithPlaceholders, scanTemplateActions } from '../../../src/argocd/template-actions.js';
import { contractV1Schema } from '../../../src/model/contract-v1.js';

function options(over: Partial<GenerateOptions> = {}): GenerateOptions {
  return generateOptionsSchema.parse({
    url: 'http://hook-alerts.argocd.svc:8080',
    serviceName: 'hook-alerts',
    secretKey: 'hook-alerts-token',
    hookTypes: ['PreSync'],
    subscribe: { mode: 'all' },
    ...over,
  });
}

function dataOf(opts: GenerateOptions): Record<string, string> {
  return Object.fromEntries(generateNotificationsConfig(opts).entries.map((e) => [e.key, e.value]));
}

t.test('generates the service, one trigger and one template per event, and defaultTriggers', async (t) => {
  const data = dataOf(options());
  t.same(Object.keys(data), [
    'service.webhook.hook-alerts',
    'trigger.on-hook-failed',
    'trigger.on-hook-retrying',
    'trigger.on-hook-sync-succeeded',
    'template.hook-alerts-hook-failed',
    'template.hook-alerts-hook-retrying',
    'template.hook-alerts-sync-succeeded',
    'defaultTriggers.hook-alerts',
  ]);
  t.same(parse(data['service.webhook.hook-alerts'] ?? ''), {
    url: 'http://hook-alerts.argocd.svc:8080',
    headers: [
      { name: 'Content-Type', value: 'application/json' },
      { name: 'Authorization', value: 'Bearer $hook-alerts-token' },
    ],
  });
  t.same(parse(data['defaultTriggers.hook-alerts'] ?? ''), ['on-hook-failed', 'on-hook-retrying', 'on-hook-sync-succeeded']);
  const tmpl = parse(data['template.hook-alerts-hook-failed'] ?? '') as { webhook: Record<string, { method: string; path: string; body: string }> };
  t.equal(tmpl.webhook['hook-alerts']?.method, 'POST');
  t.equal(tmpl.webhook['hook-alerts']?.path, '/v1/argocd/events');
});

t.test('every trigger is free of oncePer, `in` and unguarded access; the generated ConfigMap validates clean', async (t) => {
  for (const hookTypes of [['PreSync'], ['PreSync', 'Sync', 'PostSync', 'SyncFail']] as const) {
    for (const stuckMinutes of [undefined, 15]) {
      const data = dataOf(options({ hookTypes: [...hookTypes], stuckMinutes }));
      for (const [key, value] of Object.entries(data).filter(([k]) => k.startsWith('trigger.'))) {
        const conditions = parse(value) as { when: string; send: string[]; oncePer?: string }[];
        t.equal(conditions.length, 1, key);
        t.notOk(conditions[0]?.oncePer, `${key}: no oncePer`);
        t.notMatch(conditions[0]?.when ?? '', /\bin\s*\[/, `${key}: no \`in [...]\``);
        t.notMatch(conditions[0]?.when ?? '', /\?\./, `${key}: no ?.`);
      }
      t.same(checkNotificationsCm(data, { serviceName: 'hook-alerts' }), [], `clean for ${hookTypes.join(',')} stuck=${String(stuckMinutes)}`);
    }
  }
});

t.test('the body template is contract v1 with every value through toJson', async (t) => {
  const data = dataOf(options({ stuckMinutes: 10 }));
  for (const event of ['hook-failed', 'hook-retrying', 'sync-succeeded', 'hook-stuck'] as const) {
    const tmpl = parse(data[`template.hook-alerts-${event}`] ?? '') as { webhook: Record<string, { body: string }> };
    const body = tmpl.webhook['hook-alerts']?.body ?? '';
    const actions = scanTemplateActions(body);
    const outputs = actions.filter((a) => a.kind === 'output');
    t.ok(outputs.length >= 14, `${event}: one output per field`);
    t.ok(outputs.every((a) => a.jsonEncoded && !a.insideString), `${event}: all toJson, none in a string`);
    const skeleton = JSON.parse(bodyWithPlaceholders(body, actions) ?? '') as Record<string, unknown>;
    t.equal(skeleton.event, event);
    t.equal(skeleton.version, 1);
    // With values filled in, the intake schema takes it.
    const filled = { ...skeleton, app: { name: 'a', namespace: 'argocd' }, operationState: { phase: 'Failed', startedAt: '2026-01-01T00:00:00Z' } };
    t.ok(contractV1Schema.safeParse(filled).success, `${event}: intake accepts the shape`);
  }
});

t.test('hook-stuck only with --stuck-minutes, with the minutes in the condition', async (t) => {
  t.notOk(dataOf(options())['trigger.on-hook-stuck']);
  const data = dataOf(options({ stuckMinutes: 45 }));
  const [cond] = parse(data['trigger.on-hook-stuck'] ?? '') as { when: string }[];
  t.match(cond?.when, /time\.Now\(\)\.Sub\(time\.Parse\(app\.status\.operationState\.startedAt\)\)\.Minutes\(\) >= 45/);
  t.match(data['defaultTriggers.hook-alerts'], /on-hook-stuck/);
});

t.test('hook types appear as == comparisons only', async (t) => {
  const [cond] = parse(dataOf(options({ hookTypes: ['Sync', 'SyncFail'] }))['trigger.on-hook-failed'] ?? '') as { when: string }[];
  t.match(cond?.when, /#\.hookType == 'Sync' \|\| #\.hookType == 'SyncFail'/);
  t.notMatch(cond?.when, /PreSync/);
});

t.test('service URL: trailing slash and the events route are dropped (the template path adds it)', async (t) => {
  t.equal(serviceBaseUrl('http://x:8080/'), 'http://x:8080');
  t.equal(serviceBaseUrl('http://x:8080/v1/argocd/events'), 'http://x:8080');
  t.equal(serviceBaseUrl('https://x/prefix/v1/argocd/events/'), 'https://x/prefix');
  t.equal(serviceBaseUrl('https://x/prefix'), 'https://x/prefix');
});

t.test('subscriptions: all, selector, none (annotations)', async (t) => {
  const all = generateNotificationsConfig(options({ recipient: 'team-db' }));
  t.same(all.subscription, { recipients: ['hook-alerts:team-db'], triggers: Object.values(TRIGGER_NAMES).slice(0, 3) });
  const bare = generateNotificationsConfig(options());
  t.same(bare.subscription?.recipients, ['hook-alerts'], 'no recipient: the service alone');
  const sel = generateNotificationsConfig(options({ subscribe: { mode: 'selector', selector: 'team in (db,payments)' } }));
  t.equal(sel.subscription?.selector, 'team in (db,payments)');
  const none = generateNotificationsConfig(options({ subscribe: { mode: 'none' }, serviceName: 'alerts2' }));
  t.equal(none.subscription, null);
  t.same(none.annotations, {
    'notifications.argoproj.io/subscribe.on-hook-failed.alerts2': '<recipient>',
    'notifications.argoproj.io/subscribe.on-hook-retrying.alerts2': '<recipient>',
    'notifications.argoproj.io/subscribe.on-hook-sync-succeeded.alerts2': '<recipient>',
  });
});

t.test('mergeSubscriptions keeps the user entries and replaces our previous one', async (t) => {
  const theirs = { recipients: ['slack:ops'], triggers: ['on-sync-failed'] };
  const mixed = { recipients: ['hook-alerts:x', 'slack:ops'] };
  const oldOurs = { recipients: ['hook-alerts:old'], triggers: ['on-hook-failed'] };
  const ours = { recipients: ['hook-alerts:new'], triggers: ['on-hook-failed'] };
  t.same(mergeSubscriptions([theirs, oldOurs, mixed], ours, 'hook-alerts'), [theirs, mixed, ours]);
  t.same(mergeSubscriptions([], ours, 'hook-alerts'), [ours]);
  t.same(mergeSubscriptions([{ recipients: ['hook-alerts-other:x'] }], ours, 'hook-alerts'), [{ recipients: ['hook-alerts-other:x'] }, ours]);
});

t.test('options refuse values Argo CD would mangle', async (t) => {
  const base = { url: 'http://x', serviceName: 'hook-alerts', secretKey: 'k', hookTypes: ['PreSync'], subscribe: { mode: 'all' } };
  const bad: [string, Record<string, unknown>][] = [
    ['service name with a dot (annotation keys split on dots)', { serviceName: 'hook.alerts' }],
    ['upper-case service name', { serviceName: 'HookAlerts' }],
    ['secret key with a dot ($refs stop at dots)', { secretKey: 'hook.token' }],
    ['non-http URL', { url: 'ftp://x' }],
    ['URL with a query', { url: 'http://x/?a=1' }],
    ['not a URL', { url: 'hook-alerts:8080' }],
    ['unknown hook type', { hookTypes: ['PreSync', 'Skip'] }],
    ['no hook type', { hookTypes: [] }],
    ['recipient with ":"', { recipient: 'a:b' }],
    ['recipient with ";"', { recipient: 'a;b' }],
    ['zero stuck minutes', { stuckMinutes: 0 }],
  ];
  for (const [what, over] of bad) {
    t.notOk(generateOptionsSchema.safeParse({ ...base, ...over }).success, what);
  }
  t.ok(generateOptionsSchema.safeParse(base).success);
});

t.test('delete hooks: on-delete-hook-failed only with PreDelete or PostDelete, on the DeletionError condition', async (t) => {
  t.notOk(dataOf(options())['trigger.on-delete-hook-failed'], 'not with the default PreSync');
  const config = generateNotificationsConfig(options({ hookTypes: ['PreSync', 'PreDelete'] }));
  const data = Object.fromEntries(config.entries.map((e) => [e.key, e.value]));
  const [cond] = parse(data['trigger.on-delete-hook-failed'] ?? '') as { when: string; send: string[] }[];
  t.match(cond?.when, /#\.type == 'DeletionError'/);
  t.match(cond?.when, /#\.message contains 'PreDelete hook\(s\) failed'/);
  t.notMatch(cond?.when, /PostDelete/, 'only the chosen delete types');
  t.same(cond?.send, ['hook-alerts-hook-failed'], 'sends the hook-failed template');
  t.equal(config.entries.filter((e) => e.key === 'template.hook-alerts-hook-failed').length, 1, 'the template is written once');
  t.ok(config.triggers.some((g) => g.trigger === 'on-delete-hook-failed' && g.event === 'hook-failed'));
  t.match(data['defaultTriggers.hook-alerts'], /on-delete-hook-failed/, 'subscribed with the others');
  t.same(checkNotificationsCm(data, { serviceName: 'hook-alerts' }), [], 'validate argocd passes it');
});
