import t, { type Test } from 'tap';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { emailEnv, stepThroughRetries, workerHarness, type TestLike, type WorkerHarness } from '../support/worker-harness.js';
import { metricValue } from '../support/prom-text.js';
import { sampleEvent } from '../support/sample-alerts.js';

/**
 * The SMTP relay refusing under the real worker, store and email sink (nodemailer pool): down or 4xx is
 * retried on the persisted schedule (stepped with the injected clock) and the mail arrives once when the
 * relay accepts again; a 5xx at RCPT TO is permanent and says what to fix.
 */

async function setup(t: TestLike, to?: string): Promise<{ server: SmtpTestServer; h: WorkerHarness }> {
  const server = await SmtpTestServer.start();
  t.teardown(() => server.close());
  const h = await workerHarness(t, { env: emailEnv(server, to), overrides: { email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000 } } });
  return { server, h };
}

async function expectDeliveredOnce(t: Test, server: SmtpTestServer, h: WorkerHarness, incident: string, retries: number): Promise<void> {
  t.match(h.store.listDeliveries(), [{ state: 'sent', attempts: retries + 1, ref: `<${incident}.failed@example.com>`, lastError: null }]);
  t.equal(server.mails.length, 1, 'one mail arrived');
  t.equal(server.mails[0]?.parsed.messageId, `<${incident}.failed@example.com>`);
  const metrics = await h.metrics.registry.metrics();
  t.equal(metricValue(metrics, 'hook_alerts_retries_total', { sink: 'email', reason: 'error' }), retries, 'hook_alerts_retries_total');
  t.equal(metricValue(metrics, 'hook_alerts_deliveries_total', { sink: 'email', outcome: 'retry' }), retries);
  t.equal(metricValue(metrics, 'hook_alerts_deliveries_total', { sink: 'email', outcome: 'sent' }), 1);
  // The metrics wrapper around the sink times every send that answered, whatever its outcome.
  t.equal(metricValue(metrics, 'hook_alerts_sink_send_seconds_count', { sink: 'email', outcome: 'retryable' }), retries, 'sends timed: retryable');
  t.equal(metricValue(metrics, 'hook_alerts_sink_send_seconds_count', { sink: 'email', outcome: 'sent' }), 1, 'sends timed: sent');
  t.comment(`${retries + 1} attempts, ${retries} retries, ${server.mails.length} mail`);
}

t.test('the relay is down for two attempts, then back: the mail arrives once', async (t) => {
  const { server, h } = await setup(t);
  await server.goDown();
  const incident = h.accept(sampleEvent('presync-job-failed'));
  await h.worker.runOnce();
  const refused = /cannot talk to the SMTP server \(E[A-Z]+: connect ECONNREFUSED 127\.0\.0\.1:\d+\), will retry/;
  await stepThroughRetries(t, h, [2_000], refused);
  // Back while the second retry waits.
  await server.comeBack();
  await stepThroughRetries(t, h, [4_000], refused);
  await expectDeliveredOnce(t, server, h, incident, 2);
});

t.test('4xx at MAIL FROM, RCPT TO and DATA: each retried, then the mail arrives once', async (t) => {
  const { server, h } = await setup(t);
  server.failNext({ stage: 'mail', code: 421, message: '4.3.2 Service not available, closing transmission channel' });
  server.failNext({ stage: 'rcpt', code: 451, message: '4.7.1 Greylisted, try again later' });
  server.failNext({ stage: 'data', code: 452, message: '4.3.1 Insufficient system storage' });
  const incident = h.accept(sampleEvent('presync-job-failed'));
  await h.worker.runOnce();
  await stepThroughRetries(t, h, [2_000], /421 4\.3\.2 .*\(temporary\), will retry/);
  await stepThroughRetries(t, h, [4_000], /451 4\.7\.1 Greylisted.*\(temporary\), will retry/);
  await stepThroughRetries(t, h, [8_000], /452 4\.3\.1 Insufficient system storage.*\(temporary\), will retry/);
  await expectDeliveredOnce(t, server, h, incident, 3);
});

t.test('550 at RCPT TO is permanent: not retried, and the error names the address to fix', async (t) => {
  const { server, h } = await setup(t, 'nobody@example.com');
  server.unknownRecipients.add('nobody@example.com');
  h.accept(sampleEvent('presync-job-failed'));
  await h.worker.runOnce();
  const error = /email to nobody@example\.com: 550 5\.1\.1 <nobody@example\.com>: Recipient address rejected: User unknown: the address was rejected: check it in EMAIL_TO or the routing rules/;
  t.match(h.store.listDeliveries(), [{ state: 'failed', attempts: 1, lastError: error }]);
  h.clock.now += 3 * 3_600_000;
  await h.worker.runOnce();
  t.equal(h.store.listDeliveries()[0]?.attempts, 1, 'not attempted again hours later');
  t.equal(server.mails.length, 0);
  const metrics = await h.metrics.registry.metrics();
  t.equal(metricValue(metrics, 'hook_alerts_deliveries_total', { sink: 'email', outcome: 'failed' }), 1);
  t.equal(metricValue(metrics, 'hook_alerts_retries_total'), 0);
  const report = h.logs.find((l) => l.msg === 'delivery failed permanently; fix the cause named here, it will not be retried');
  t.match(report, { target: 'email:nobody@example.com', error }, 'the log line names the cause and the fix');
});
