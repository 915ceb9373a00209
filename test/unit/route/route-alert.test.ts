import t from 'tap';
import { loadConfig, type JsonObject } from '../../../src/config/load-config.js';
import { createRouteOptions, createRouter } from '../../../src/route/route-alert.js';
import { enabledSinkNames } from '../../../src/deliver/enabled-sinks.js';
import type { HookEvent } from '../../../src/model/hook-event.js';
import { sampleEvent } from '../../support/sample-alerts.js';

const ENV = { SLACK_BOT_TOKEN: 'xoxb-1', SMTP_URL: 'smtp://localhost:25', EMAIL_FROM: 'alerts@example.com' };

function configWith(routing: JsonObject, env: Record<string, string> = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ env: { ...ENV, ...env }, overrides: { routing } });
}

function route(routing: JsonObject, event: HookEvent, env: Record<string, string> = {}): string[] {
  const config = configWith(routing, env);
  return createRouter(config.routing, enabledSinkNames(config)).targets(event);
}

const payments = sampleEvent('presync-job-failed'); // project payments, labels env=production team=payments, ns payments
const orders = sampleEvent('multi-source-two-failed-hooks'); // labels env=staging team=orders

t.test('with no rules the default route is SLACK_CHANNEL and EMAIL_TO', async (t) => {
  t.same(route({}, payments, { SLACK_CHANNEL: '#deploys', EMAIL_TO: 'a@example.com,b@example.com' }), [
    'slack:#deploys',
    'email:a@example.com',
    'email:b@example.com',
  ]);
  const config = loadConfig({ env: { SLACK_CHANNEL: '#deploys', EMAIL_TO: 'a@example.com' } });
  t.same([...enabledSinkNames(config)], ['file'], 'without a token and SMTP settings only the file sink is on');
  t.same(createRouter(config.routing, enabledSinkNames(config)).targets(payments), ['file:outbox']);
});

const RULES: JsonObject = {
  rules: [
    { name: 'prod payments', match: { project: 'payments', labels: { env: 'prod*' } }, slack: ['#payments-prod'], mentions: ['<!subteam^S0PAY>'] },
    { name: 'db recipient', match: { recipient: 'team-db' }, email: ['dba@example.com'], continue: true },
    { name: 'all staging', match: { labels: { env: 'staging' } }, slack: ['#staging'] },
    { name: 'orders apps', match: { app: ['orders*', 'checkout'], namespace: 'orders-*' }, slack: ['#orders'] },
  ],
  defaultRoute: { slack: ['#deploys'], email: ['oncall@example.com'] },
};

t.test('rules: first match wins, continue adds, globs and labels, default when none matches', async (t) => {
  t.same(route(RULES, payments), ['slack:#payments-prod'], 'first match wins');
  t.same(route(RULES, sampleEvent('presync-job-failed', { recipient: 'team-db' })), ['slack:#payments-prod'], 'rule 1 still first');
  t.same(route(RULES, orders), ['slack:#staging'], 'labels env=staging');
  const dbOrders: HookEvent = { ...orders, recipient: 'team-db' };
  t.same(route(RULES, dbOrders), ['email:dba@example.com', 'slack:#staging'], 'continue: the next matching rule adds');
  const other: HookEvent = { ...payments, app: { ...payments.app, project: 'platform', labels: {} } };
  t.same(route(RULES, other), ['slack:#deploys', 'email:oncall@example.com'], 'default route');
  const ordersApp: HookEvent = { ...other, app: { ...other.app, name: 'orders-api' }, destination: { ...other.destination, namespace: 'orders-eu' } };
  t.same(route(RULES, ordersApp), ['slack:#orders'], 'app glob list and namespace glob');
  const wrongNs: HookEvent = { ...ordersApp, destination: { ...ordersApp.destination, namespace: 'payments' } };
  t.same(route(RULES, wrongNs), ['slack:#deploys', 'email:oncall@example.com'], 'all fields of a match must hold');
  const noRecipient: HookEvent = { ...other, recipient: null };
  t.same(route({ rules: [{ match: { recipient: '*' }, slack: ['#x'] }] }, noRecipient, { SLACK_CHANNEL: '#d' }), ['slack:#d'], 'a recipient glob does not match a missing recipient');
});

t.test('targets of sinks that are off are dropped; the outbox is added when the file sink is on', async (t) => {
  const config = loadConfig({ env: { SLACK_BOT_TOKEN: 'x' }, overrides: { routing: RULES, file: { enabled: 'true' } } });
  t.same([...enabledSinkNames(config)].sort(), ['file', 'slack'], 'email is off: no SMTP settings');
  t.same(createRouter(config.routing, enabledSinkNames(config)).targets(payments), ['slack:#payments-prod', 'file:outbox']);
  const ruleOnly = loadConfig({ env: { SLACK_BOT_TOKEN: 'x' }, overrides: { routing: { rules: [{ match: {}, slack: ['#all'] }] } } });
  t.same([...enabledSinkNames(ruleOnly)], ['slack'], 'a rule alone turns the Slack sink on');
});

t.test('route options: mentions of the routes naming the target; logs off wins', async (t) => {
  const config = configWith({
    rules: [
      { match: { labels: { env: 'production' } }, slack: ['#payments-prod'], mentions: ['<!subteam^S0PAY>', '<@U0ONCALL>'], logs: false, continue: true },
      { match: { project: 'payments' }, slack: ['#payments-prod', '#audit'], email: ['dba@example.com'] },
    ],
  });
  const options = createRouteOptions(config.routing);
  t.same(options(payments, 'slack:#payments-prod'), { mentions: ['<!subteam^S0PAY>', '<@U0ONCALL>'], logs: false });
  t.same(options(payments, 'slack:#audit'), { mentions: [], logs: true });
  t.same(options(payments, 'file:outbox'), { mentions: [], logs: false }, 'a target no route names: privacy wins');
  t.same(options(orders, 'slack:#deploys'), { mentions: [], logs: true }, 'default route');
});

t.test('delivery options: mentions page on the first message and for a stuck hook, never for a resolution', async (t) => {
  const config = configWith({
    rules: [{ match: { project: 'payments' }, slack: ['#payments-prod'], mentions: ['<!subteam^S0PAY>'], logs: false }],
  });
  const router = createRouter(config.routing, enabledSinkNames(config));
  const target = 'slack:#payments-prod';
  const quiet = { mentions: [], logs: false };
  t.same(router.options(payments, target, { kind: 'failed', threadRootRef: null }), { mentions: ['<!subteam^S0PAY>'], logs: false }, 'first message');
  t.same(router.options(payments, target, { kind: 'failed', threadRootRef: 'C1:1.0' }), quiet, 'a reply in the thread');
  t.same(router.options(payments, target, { kind: 'retrying:2', threadRootRef: 'C1:1.0' }), quiet, 'a retry update');
  t.same(router.options(payments, target, { kind: 'stuck', threadRootRef: 'C1:1.0' }), { mentions: ['<!subteam^S0PAY>'], logs: false }, 'a stuck hook pages again');
  t.same(router.options(payments, target, { kind: 'resolved', threadRootRef: null }), quiet, 'a resolution');
  t.same(router.options(payments, 'file:outbox', { kind: 'failed', threadRootRef: null }), quiet, 'the outbox: logs as the matching routes allow');
});

t.test('routing config errors: unknown fields, bad mentions and bad globs name the field', async (t) => {
  t.throws(() => configWith({ rules: [{ match: { cluster: 'x' }, slack: ['#a'] }] }), { code: 'HA_ERR_CONFIG_INVALID', message: /routing\.rules\.0\.match.*cluster/s });
  t.throws(() => configWith({ rules: [{ match: {}, slack: ['#a'], channel: '#b' }] }), { message: /routing\.rules\.0.*channel/s });
  t.throws(() => configWith({ rules: [{ match: {}, slack: ['#a'], mentions: ['@here'] }] }), { message: /routing\.rules\.0\.mentions\.0: a mention is/ });
  t.throws(() => configWith({ rules: [{ match: {}, email: ['not-an-address'] }] }), { message: /routing\.rules\.0\.email\.0/ });
  t.throws(() => configWith({ defaultRoute: { slack: ['#a'], mention: [] } }), { message: /routing\.defaultRoute.*mention/s });
});
