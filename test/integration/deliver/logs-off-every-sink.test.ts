import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { SmtpTestServer } from '../../support/smtp-test-server.js';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { hookFailedEvent } from '../../support/kube-enrich-setup.js';
import { emailEnv, slackEnv, workerHarness } from '../../support/worker-harness.js';

// Row data, the kind of log text `logs: false` is for; no diagnosis rule quotes it as evidence.
const LOG_LINE = 'backfilled ledger row 7731 for customer alice@example.com';

/**
 * Routing decides a delivery's options once, for every sink: a route with `logs: false` keeps the log body
 * out of Slack, of the email and of the outbox's copies of both.
 */
t.test('logs: false keeps the log body out of every sink, the file sink included', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const job = kube.putJob(
    hookJob({ failed: 1, conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:02:31Z' }] }),
  );
  kube.putPod(jobPod(job, { name: 'db-migrate-x7k2p', phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'db-migrate-x7k2p', 'migrate', `Applying 0042_ledger...\n${LOG_LINE}\n`);

  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  const dir = t.testdir();
  const outbox = join(dir, 'outbox');

  const h = await workerHarness(t, {
    env: { ...slackEnv(slack), ...emailEnv(smtp) },
    overrides: {
      routing: { defaultRoute: { logs: false } },
      file: { enabled: 'true', dir: outbox },
      // Deadlines that only bound a hang: on a loaded machine a send may take seconds.
      worker: { sendTimeoutMs: 120_000 },
      slack: { requestTimeoutMs: 60_000 },
      kubernetes: { enabled: 'true', clusters: [{ server: 'https://kubernetes.default.svc', kubeconfig: kube.writeKubeconfig(dir) }] },
    },
  });
  h.accept(hookFailedEvent());
  // The first pass starts the enrichment in the background; once it has routed the event, a pass sends.
  await h.worker.runOnce();
  await h.worker.idle();
  await h.worker.runOnce();

  t.same(
    h.store.listDeliveries().map((d) => `${d.target} ${d.state}`).sort(),
    ['email:oncall@example.com sent', 'file:outbox sent', 'slack:#deploys sent'],
    'one delivery per sink, each sent',
  );

  const posted = JSON.stringify(slack.messages);
  t.match(posted, /Log body left out by this route/, 'Slack: the hook had a log, and it was left out');
  t.notMatch(posted, /ledger row 7731/, 'Slack: no log text');
  t.same(slack.messages.flatMap((m) => m.files), [], 'Slack: no log file uploaded');

  const mail = smtp.mails[0];
  t.match(mail?.parsed.text, /log body left out by this route/, 'email: the hook had a log, and it was left out');
  t.notMatch(`${mail?.parsed.text ?? ''}\n${String(mail?.parsed.html)}`, /ledger row 7731/, 'email: no log text');
  t.equal(mail?.parsed.attachments.length, 0, 'email: no log attachment');

  const files = readdirSync(outbox, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.slack.json') || f.endsWith('.eml'));
  t.equal(files.length, 2, 'the outbox holds the Slack message and the email');
  for (const file of files) {
    const text = readFileSync(join(outbox, file), 'utf8');
    t.match(text, /[Ll]og body left out by this route/, `${file}: the hook had a log, and it was left out`);
    t.notMatch(text, /ledger row 7731/, `${file}: no log text`);
  }
});
