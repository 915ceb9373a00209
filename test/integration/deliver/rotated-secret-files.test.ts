import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../../src/config/load-config.js';
import { buildSinks } from '../../../src/deliver/sink-selection.js';
import { createLogger } from '../../../src/logger.js';
import { Metrics } from '../../../src/metrics.js';
import type { DeliveryContext } from '../../../src/model/sink.js';
import { sampleAlert } from '../../support/sample-alerts.js';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { SmtpTestServer } from '../../support/smtp-test-server.js';

// A rotated Secret is a new file content under the same mount path: the next send after a second reads it.

function delivery(address: string, id: number): DeliveryContext {
  return { deliveryId: id, address, attempt: 1, alert: sampleAlert('presync-job-failed'), threadRootRef: null, resumed: false, route: { mentions: [], logs: true }, firstAttemptAt: Date.now() };
}

t.test('SLACK_BOT_TOKEN_FILE: a rotated token is used by the next Slack call, without a restart', async (t) => {
  const slack = await SlackApiServer.start({ token: 'xoxb-rotated-token' });
  t.teardown(() => slack.close());
  const file = join(t.testdir(), 'slack-token');
  writeFileSync(file, 'xoxb-revoked-token\n');
  const config = loadConfig({ env: { SLACK_BOT_TOKEN_FILE: file, SLACK_API_URL: slack.apiUrl, SLACK_CHANNEL: '#deploys' }, overrides: { slack: { requestTimeoutMs: 120_000 } } });
  const clock = { now: 1_000_000 };
  const sink = buildSinks(config, new Set(['slack']), { logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }), clock: () => clock.now }).get('slack');
  if (sink === undefined) throw new Error('no Slack sink');
  t.teardown(() => sink.close());

  t.match(await sink.send(delivery('#deploys', 1)), { status: 'failed', error: /invalid/ }, 'the old token is refused by Slack');
  writeFileSync(file, 'xoxb-rotated-token\n');
  t.match(await sink.send(delivery('#deploys', 2)), { status: 'failed' }, 'within the second, the token last read stays in use');
  clock.now += 1_000;
  t.match(await sink.send(delivery('#deploys', 3)), { status: 'sent' }, 'the rotated token is read and accepted');
});

t.test('SMTP_PASSWORD_FILE: a rotated password logs in on the next email, without a restart', async (t) => {
  const smtp = await SmtpTestServer.start({ user: 'alerts', pass: 'new-password' });
  t.teardown(() => smtp.close());
  const file = join(t.testdir(), 'smtp-password');
  writeFileSync(file, 'old-password\n');
  const config = loadConfig({
    env: { SMTP_URL: `smtp://alerts@127.0.0.1:${smtp.port}`, SMTP_PASSWORD_FILE: file, EMAIL_FROM: 'alerts@example.com', EMAIL_TO: 'oncall@example.com' },
    overrides: { email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000 } },
  });
  const clock = { now: 1_000_000 };
  const sink = buildSinks(config, new Set(['email']), { logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }), clock: () => clock.now }).get('email');
  if (sink === undefined) throw new Error('no email sink');
  t.teardown(() => sink.close());

  t.match(await sink.send(delivery('oncall@example.com', 1)), { status: 'failed', error: /refused the credentials/ }, 'the old password is refused');
  writeFileSync(file, 'new-password\n');
  clock.now += 1_000;
  t.match(await sink.send(delivery('oncall@example.com', 2)), { status: 'sent' }, 'the rotated password logs in');
  t.equal(smtp.mails.length, 1);
});
