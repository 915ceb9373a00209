import t from 'tap';
import type { AddressObject } from 'mailparser';
import { SmtpTestServer } from '../../support/smtp-test-server.js';
import { EmailSink } from '../../../src/deliver/email-sink.js';
import { loadConfig, type JsonObject } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import type { DeliveryContext } from '../../../src/model/sink.js';
import type { Alert } from '../../../src/model/alert.js';
import { reportWithLog, resolvedAlert, sampleAlert, SAMPLE_FINDING } from '../../support/sample-alerts.js';

const logger = createLogger('silent');

interface TestLike {
  teardown(fn: () => unknown): void;
}

async function setup(t: TestLike, opts: { starttls?: boolean; url?: (s: SmtpTestServer) => string; overrides?: JsonObject } = {}): Promise<{ server: SmtpTestServer; sink: EmailSink }> {
  const server = await SmtpTestServer.start({ starttls: opts.starttls ?? false });
  t.teardown(() => server.close());
  const config = loadConfig({
    env: { SMTP_URL: opts.url?.(server) ?? server.url, EMAIL_FROM: 'Hook Alerts <alerts@example.com>', EMAIL_TO: 'oncall@example.com' },
    // Only bounds on a hang: a loaded machine must not turn a slow local SMTP exchange into a failure.
    overrides: { email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000 }, ...opts.overrides },
  });
  const sink = EmailSink.fromConfig(config.email, { logger });
  t.teardown(() => sink.close());
  return { server, sink };
}

let nextId = 1;
function ctx(alert: Alert, over: Partial<DeliveryContext> = {}): DeliveryContext {
  return { deliveryId: nextId++, address: 'oncall@example.com', attempt: 1, alert, threadRootRef: null, resumed: false, route: { mentions: [], logs: true }, ...over, firstAttemptAt: over.firstAttemptAt ?? Date.now() };
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(a) ? a : a === undefined ? [] : [a]).flatMap((o) => o.value.map((v) => v.address ?? ''));
}

t.test('a failure mail: subject, multipart text + HTML, log attachment, headers, auth', async (t) => {
  const { server, sink } = await setup(t);
  const alert = sampleAlert('presync-job-failed', { findings: [SAMPLE_FINDING] });
  const outcome = await sink.send(ctx(alert));
  t.same(outcome, { status: 'sent', ref: `<${alert.incidentId}.failed@example.com>` }, 'the ref is the Message-ID');
  t.equal(server.mails.length, 1);
  const mail = server.mails[0];
  if (mail === undefined) return;
  t.equal(mail.user, 'alerts', 'authenticated with the SMTP URL credentials');
  t.same(mail.to, ['oncall@example.com']);
  t.equal(mail.from, 'alerts@example.com');
  const p = mail.parsed;
  t.equal(p.subject, '[FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)');
  t.equal(p.messageId, `<${alert.incidentId}.failed@example.com>`);
  t.equal(p.inReplyTo, undefined, 'the first mail replies to nothing');
  t.same(addresses(p.to), ['oncall@example.com']);
  t.equal(p.headers.get('x-hook-alerts-incident'), alert.incidentId);
  t.equal(p.headers.get('auto-submitted'), 'auto-generated');
  t.match(p.text, /Diagnosis: The migration adds NOT NULL/);
  t.match(p.text, /contains null values \(SQLSTATE 23502\)/, 'the log tail is in the text part');
  t.match(p.html, /<pre [^>]*>[^<]*column &quot;currency&quot;/, 'and escaped in the HTML part');
  t.notMatch(p.html, /<img|<link|src="http|url\(/i, 'no external assets');
  t.match(p.html, /href="https:\/\/argocd\.example\.com\/applications\/argocd\/payments-api\?operation=true"/);
  const raw = mail.raw.toString('utf8');
  t.match(raw, /Content-Type: multipart\/mixed/i, 'mixed: body + attachment');
  t.match(raw, /Content-Type: multipart\/alternative/i, 'alternative: text + html');
  t.equal(p.attachments.length, 1);
  const att = p.attachments[0];
  t.equal(att?.filename, 'db-migrate-x7k2p_migrate.log');
  t.match(att?.contentType, /^text\/plain/);
  t.match(att?.content.toString('utf8'), /^2026-11-20T14:06:31\.102Z INFO {2}migrate: connecting/);
});

t.test('SMTP_PASSWORD: the password apart from SMTP_URL authenticates as the URL\'s user, special characters and all', async (t) => {
  const password = 'p#ss/w%rd:@ "x"';
  const server = await SmtpTestServer.start({ user: 'alerts@example.com', pass: password });
  t.teardown(() => server.close());
  const config = loadConfig({
    env: {
      SMTP_URL: `smtp://${encodeURIComponent(server.user)}@127.0.0.1:${server.port}`,
      SMTP_PASSWORD: password,
      EMAIL_FROM: 'alerts@example.com',
      EMAIL_TO: 'oncall@example.com',
    },
    overrides: { email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000 } },
  });
  const sink = EmailSink.fromConfig(config.email, { logger });
  t.teardown(() => sink.close());
  const outcome = await sink.send(ctx(sampleAlert('presync-job-failed')));
  t.equal(outcome.status, 'sent');
  t.equal(server.mails[0]?.user, 'alerts@example.com');
});

t.test('retry, stuck and resolve mails thread under the first one', async (t) => {
  const { server, sink } = await setup(t);
  const first = sampleAlert('presync-job-retrying');
  const root = await sink.send(ctx(first));
  if (root.status !== 'sent' || root.ref === null) return t.fail('root not sent');
  const failed = { ...sampleAlert('presync-job-failed'), incidentId: first.incidentId };
  await sink.send(ctx(failed, { threadRootRef: root.ref }));
  await sink.send(ctx(resolvedAlert(first.incidentId), { threadRootRef: root.ref }));
  t.equal(server.mails.length, 3);
  const [a, b, c] = server.mails.map((m) => m.parsed);
  t.equal(a?.messageId, `<${first.incidentId}.retrying-1@example.com>`);
  for (const reply of [b, c]) {
    t.equal(reply?.inReplyTo, root.ref);
    t.same(reply?.references, root.ref);
  }
  t.match(b?.subject, /^\[FAILED\]/);
  t.match(c?.subject, /^\[RESOLVED\] payments-api: sync succeeded, incident resolved$/);
  t.equal(c?.attachments.length, 0);
});

t.test('hostile content is escaped in HTML and intact in the attachment', async (t) => {
  const { server, sink } = await setup(t);
  const base = sampleAlert('tricky-strings');
  const log = '<script>alert(1)</script> & <!channel> "quotes" 🚀\n```\n';
  await sink.send(ctx({ ...base, report: reportWithLog(base, log) }));
  const p = server.mails[0]?.parsed;
  t.notMatch(p?.html, /<script>|<!channel>/);
  t.match(p?.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &lt;!channel&gt; &quot;quotes&quot; 🚀/);
  t.match(p?.html, /&lt;https:\/\/evil\.example\|click&gt;/, 'the operation message is escaped too');
  t.equal(p?.attachments[0]?.content.toString('utf8'), log);
});

t.test('logs: false route options send no log body and no attachment', async (t) => {
  const { server, sink } = await setup(t);
  await sink.send(ctx(sampleAlert('presync-job-failed'), { route: { mentions: [], logs: false } }));
  const p = server.mails[0]?.parsed;
  t.equal(p?.attachments.length, 0);
  t.notMatch(p?.text, /SQLSTATE/);
  t.match(p?.text, /log body left out by this route/);
});

t.test('SMTP replies: 4xx is retryable, a rejected address and bad credentials are permanent', async (t) => {
  const { server, sink } = await setup(t);
  const alert = sampleAlert('presync-job-failed');
  server.failNext({ stage: 'rcpt', code: 451, message: '4.7.1 Greylisted, try again later' });
  t.match(await sink.send(ctx(alert)), { status: 'retryable', error: /451 4\.7\.1 Greylisted.*temporary/ });
  server.unknownRecipients.add('nobody@example.com');
  t.match(await sink.send(ctx(alert, { address: 'nobody@example.com' })), {
    status: 'failed',
    error: /550 5\.1\.1 .*User unknown: the address was rejected: check it in EMAIL_TO/,
  });
  server.failNext({ stage: 'data', code: 552, message: '5.3.4 Message size exceeds fixed limit' });
  t.match(await sink.send(ctx(alert)), { status: 'failed', error: /552 5\.3\.4/ });
  t.equal(server.mails.length, 0);
  t.same(await sink.send(ctx(alert)), { status: 'sent', ref: `<${alert.incidentId}.failed@example.com>` }, 'the pool recovers');
});

t.test('wrong credentials fail and say to check SMTP_URL', async (t) => {
  const { sink } = await setup(t, { url: (s) => `smtp://alerts:wrong@127.0.0.1:${s.port}` });
  t.match(await sink.send(ctx(sampleAlert('presync-job-failed'))), { status: 'failed', error: /535 .*SMTP_URL/ });
});

t.test('the server down, then up: retryable, then delivered', async (t) => {
  const { server, sink } = await setup(t);
  const alert = sampleAlert('presync-job-failed');
  t.equal((await sink.send(ctx(alert))).status, 'sent');
  await server.goDown();
  t.match(await sink.send(ctx(alert, { attempt: 1 })), { status: 'retryable', error: /cannot talk to the SMTP server|will retry/ });
  await server.comeBack();
  t.equal((await sink.send(ctx(alert, { attempt: 2 }))).status, 'sent');
  t.equal(server.mails.length, 2);
});

t.test('STARTTLS: the session is upgraded before AUTH when required', async (t) => {
  const { server, sink } = await setup(t, { starttls: true, overrides: { email: { requireTLS: true, tlsRejectUnauthorized: false } } });
  t.equal((await sink.send(ctx(sampleAlert('presync-job-failed')))).status, 'sent');
  t.equal(server.mails[0]?.secure, true, 'the mail went over TLS');
});

t.test('requireTLS against a server without STARTTLS fails permanently with what to fix', async (t) => {
  const { sink } = await setup(t, { overrides: { email: { requireTLS: true } } });
  const outcome = await sink.send(ctx(sampleAlert('presync-job-failed')));
  t.equal(outcome.status, 'failed');
  t.match(outcome, { error: /TLS/ });
});
