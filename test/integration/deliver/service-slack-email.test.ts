import t from 'tap';
import { startService, type RunningService } from '../../../src/main.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { loadSampleApplication } from '../../../src/commands/send-test.js';
import { contractBodyFromApplication } from '../../../src/commands/send-test-samples.js';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { SmtpTestServer } from '../../support/smtp-test-server.js';
import { waitUntil } from '../../support/service-http.js';
import { sqliteStoreOf } from '../../support/sqlite-service-store.js';

/** End to end: contract-v1 POSTs into the running service, out to the Slack and SMTP test servers. */

const TOKEN = 'e2e-webhook-token-0123456789';

async function post(svc: RunningService, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${svc.url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Wait until every delivery is finished (sent, failed or dead); bounded, not a timing assertion. */
async function drained(svc: RunningService, expected: number): Promise<void> {
  await waitUntil(`${expected} deliveries finish`, () => {
    const all = sqliteStoreOf(svc).listDeliveries();
    return all.length >= expected && all.every((d) => d.state !== 'pending' && d.state !== 'in_flight') && sqliteStoreOf(svc).queueDepth().events === 0;
  });
}

t.test('retrying, failed ×5, succeeded: one Slack thread and one mail thread per target', async (t) => {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  const config = loadConfig({
    env: {
      HOOK_ALERTS_TOKEN: TOKEN,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.apiUrl,
      SLACK_CHANNEL: '#deploys',
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'Hook Alerts <alerts@example.com>',
      EMAIL_TO: 'oncall@example.com',
    },
    overrides: {
      dataDir: t.testdir({}),
      server: { host: '127.0.0.1', port: 0 },
      kubernetes: { enabled: 'false' },
      worker: { pollIntervalMs: 20 },
      routing: { rules: [{ match: { labels: { env: 'production' } }, slack: ['#payments-alerts'], email: ['payments@example.com'], mentions: ['<!subteam^S0PAY>'] }] },
    },
  });
  const svc = await startService(config, createLogger('silent'));
  t.teardown(() => svc.close());

  const retrying = await post(svc, contractBodyFromApplication(loadSampleApplication('presync-job-retrying')));
  await drained(svc, 2);
  for (let i = 0; i < 5; i++) {
    const res = await post(svc, contractBodyFromApplication(loadSampleApplication('presync-job-failed')));
    t.equal(res.incident, retrying.incident, 'same operation, same incident');
    t.equal(res.duplicate, i > 0);
  }
  await drained(svc, 4);
  await post(svc, contractBodyFromApplication(loadSampleApplication('sync-succeeded')));
  await drained(svc, 6);

  t.same(
    sqliteStoreOf(svc).listDeliveries().map((d) => `${d.target} ${d.kind} ${d.state}`),
    [
      'slack:#payments-alerts retrying:1 sent',
      'email:payments@example.com retrying:1 sent',
      'slack:#payments-alerts failed sent',
      'email:payments@example.com failed sent',
      'slack:#payments-alerts resolved sent',
      'email:payments@example.com resolved sent',
    ],
  );
  const posts = slack.messagesIn('C0PAYMENT1');
  t.equal(posts.length, 3, 'one root and two replies, despite 5 identical failure events');
  const [root, failed, resolved] = posts;
  t.equal(root?.thread_ts, null);
  t.match(slack.callsOf('chat.postMessage')[0]?.params.text, /^<!subteam\^S0PAY> /, 'the production rule’s mention on the first post');
  t.match(root?.text, /^RESOLVED · /, 'and not repeated by the update');
  t.equal(failed?.thread_ts, root?.ts);
  t.equal(resolved?.thread_ts, root?.ts);
  t.equal(root?.edited, true, 'the root shows the incident resolved');
  t.equal(slack.messagesIn('C0DEPLOYS1').length, 0, 'the default route was not used');

  t.equal(smtp.mails.length, 3);
  const [m1, m2, m3] = smtp.mails.map((m) => m.parsed);
  t.same(smtp.mails.map((m) => m.to), [['payments@example.com'], ['payments@example.com'], ['payments@example.com']]);
  t.equal(m2?.inReplyTo, m1?.messageId);
  t.equal(m3?.inReplyTo, m1?.messageId);
  t.match(m3?.subject, /^\[RESOLVED\]/);
});
