import t from 'tap';
import { SmtpTestServer } from '../../support/smtp-test-server.js';
import { emailEnv, failedEvent, workerHarness } from '../../support/worker-harness.js';

/**
 * The email sink records each SMTP transaction that reaches DATA, and the server's answer to it, in the
 * store (docs/design.md, "Crash windows"), through nodemailer's pooled connections (pipelined MAIL FROM,
 * RCPT TO, DATA) against the real SMTP test server.
 */

t.test('8 mails over 2 pooled connections: each delivery records its DATA start and its own 250 answer', async (t) => {
  const server = await SmtpTestServer.start();
  t.teardown(() => server.close());
  const h = await workerHarness(t, { env: emailEnv(server), overrides: { email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000 } } });
  for (let i = 0; i < 8; i++) h.accept(failedEvent(i));
  await h.worker.runOnce();
  await h.worker.runOnce();
  const deliveries = h.store.listDeliveries();
  t.equal(deliveries.length, 8);
  t.same(deliveries.filter((d) => d.state !== 'sent'), [], 'all sent');
  t.equal(server.mails.length, 8);
  const attempts = h.store.emailAttempts();
  for (const d of deliveries) {
    const record = attempts.last(d.id);
    t.equal(record?.messageId, d.ref, `delivery ${d.id}: the record names its own Message-ID`);
    t.equal(record?.attempt, 1);
    t.equal(record?.answerCode, 250, `delivery ${d.id}: the 250 answer to the end of DATA is recorded`);
    t.ok(record !== null && record.answeredAt !== null && record.answeredAt >= record.dataStartedAt);
  }
});

t.test('a refused message records the refusal; the next transaction replaces the row', async (t) => {
  const server = await SmtpTestServer.start();
  t.teardown(() => server.close());
  const h = await workerHarness(t, { env: emailEnv(server), overrides: { email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000 } } });
  server.failNext({ stage: 'data', code: 451, message: '4.3.0 queue full, try later' });
  h.accept(failedEvent(1));
  await h.worker.runOnce();
  const [first] = h.store.listDeliveries();
  if (first === undefined) return t.fail('no delivery');
  t.equal(first.state, 'pending', 'retried');
  t.equal(h.store.emailAttempts().last(first.id)?.answerCode, 451, 'the refusal is the recorded answer');

  h.clock.now += 60_000;
  await h.worker.runOnce();
  t.equal(h.store.listDeliveries()[0]?.state, 'sent');
  t.equal(server.mails.length, 1);
  const record = h.store.emailAttempts().last(first.id);
  t.equal(record?.attempt, 2, 'the later transaction replaces the row');
  t.equal(record?.answerCode, 250);
});
