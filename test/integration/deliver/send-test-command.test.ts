import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { SmtpTestServer } from '../../support/smtp-test-server.js';
import { runCli } from '../../support/cli-process.js';
import type { CommandRun } from '../../support/process-groups.js';

/** Run `argocd-hook-alerts <args>` from source with only the given environment. */
function cli(args: string[], env: Record<string, string>): Promise<CommandRun> {
  return runCli(t, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
}

t.test('send-test --to slack posts a sample alert with a diagnosis and says where', async (t) => {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const env = { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, SLACK_CHANNEL: '#deploys', HOOK_ALERTS_DATA_DIR: t.testdir({}) };
  const ok = await cli(['send-test', '--to', 'slack'], env);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^sent failed alert for payments-api to slack:#deploys \(ref C0DEPLOYS1:\d+\.\d+\)\n$/);
  const [msg] = slack.messages;
  t.match(msg?.text, /\[FAILED\] payments-api: PreSync hook db-migrate failed \(exit 1, BackoffLimitExceeded\)/);
  t.match(JSON.stringify(msg?.blocks), /SQLSTATE 23502/, 'the sample log tail is there');

  const bad = await cli(['send-test', '--to', 'slack', '--fixture', 'multi-source-two-failed-hooks'], { ...env, SLACK_CHANNEL: '#nope' });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /send-test failed:\n {2}slack:#nope: Slack channel #nope: channel_not_found: /);
});

t.test('send-test --to email sends a mail with the log attached', async (t) => {
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  const res = await cli(['send-test', '--to', 'email', '--fixture', 'presync-job-retrying'], {
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'alerts@example.com',
    EMAIL_TO: 'oncall@example.com',
    HOOK_ALERTS_DATA_DIR: t.testdir({}),
  });
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, /sent retrying:1 alert for payments-api to email:oncall@example\.com \(ref <inc_sendtest_\w+\.retrying-1@example\.com>\)/);
  t.equal(smtp.mails[0]?.parsed.attachments.length, 1);
});

t.test('send-test --to file writes the Slack JSON and the .eml to the outbox', async (t) => {
  const dir = t.testdir({});
  const res = await cli(['send-test', '--to', 'file', '--fixture', 'tricky-strings'], { HOOK_ALERTS_DATA_DIR: dir });
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, /sent failed alert for legacy-billing to file:outbox/);
  const [incident] = readdirSync(join(dir, 'outbox'));
  t.same(readdirSync(join(dir, 'outbox', incident ?? '')).sort(), ['000000-failed.eml', '000000-failed.slack.json']);
});

t.test('send-test usage errors exit 2; missing settings exit 1 and say what to set', async (t) => {
  const env = { HOOK_ALERTS_DATA_DIR: t.testdir({}) };
  t.equal((await cli(['send-test', '--to', 'pager'], env)).code, 2);
  const unknown = await cli(['send-test', '--to', 'file', '--fixture', 'nope'], env);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown fixture "nope": use one of .*presync-job-failed/);
  const noToken = await cli(['send-test', '--to', 'slack'], env);
  t.equal(noToken.code, 1);
  t.match(noToken.stderr, /SLACK_BOT_TOKEN/);
});
