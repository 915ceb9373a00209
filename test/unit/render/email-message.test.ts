import t from 'tap';
import { emailMessageId, escapeHtml, renderEmail } from '../../../src/render/email-message.js';
import { reportWithLog, resolvedAlert, sampleAlert } from '../../support/sample-alerts.js';

const FROM = 'Hook Alerts <alerts@Example.COM>';

/** renderEmail sets text and html as strings; Mail.Options types them wider. */
function body(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string body, got ${typeof value}`);
  return value;
}

t.test('subjects say what failed and why', async (t) => {
  const subject = (a: ReturnType<typeof sampleAlert>): unknown => renderEmail(a, { from: FROM, to: 'x@example.com' }).subject;
  t.equal(subject(sampleAlert('presync-job-failed')), '[FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)');
  t.equal(subject(sampleAlert('presync-job-failed', { report: null })), '[FAILED] payments-api: PreSync hook db-migrate failed (BackoffLimitExceeded)');
  t.equal(subject(sampleAlert('presync-job-retrying')), '[RETRYING] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded), Argo CD retries');
  t.equal(
    subject(sampleAlert('multi-source-two-failed-hooks')),
    '[FAILED] orders: PreSync hook orders-schema-migrate-4c1d2e3-presync-1795248000 failed (exit 1, DeadlineExceeded) (+1 more)',
  );
  t.equal(subject(sampleAlert('presync-job-running', { event: 'hook-stuck' })), '[STUCK] payments-api: PreSync hook db-migrate is stuck');
  t.equal(subject(resolvedAlert('inc_1')), '[RESOLVED] payments-api: sync succeeded, incident resolved');
});

t.test('Message-ID: stable per incident and kind, in the sender’s domain; replies reference the root', async (t) => {
  const alert = sampleAlert('presync-job-retrying');
  t.equal(emailMessageId(alert, FROM), `<${alert.incidentId}.retrying-1@example.com>`);
  t.equal(emailMessageId(alert, 'no-domain'), `<${alert.incidentId}.retrying-1@argocd-hook-alerts.invalid>`);
  const root = renderEmail(alert, { from: FROM, to: 'x@example.com' });
  t.equal(root.inReplyTo, undefined);
  const reply = renderEmail(resolvedAlert(alert.incidentId), { from: FROM, to: 'x@example.com', threadRootRef: String(root.messageId) });
  t.equal(reply.inReplyTo, root.messageId);
  t.same(reply.references, [root.messageId]);
  const again = renderEmail(alert, { from: FROM, to: 'x@example.com', threadRootRef: String(root.messageId) });
  t.equal(again.inReplyTo, undefined, 'the root itself, resent, does not reply to itself');
});

t.test('HTML is escaped; the text part is plain; logs: false leaves logs out', async (t) => {
  const base = sampleAlert('tricky-strings');
  const alert = { ...base, report: reportWithLog(base, '<img src=x onerror=alert(1)> "\' &\n') };
  const mail = renderEmail(alert, { from: FROM, to: 'x@example.com' });
  t.notMatch(body(mail.html), /<img|<!channel>|<https:/);
  t.match(body(mail.html), /&lt;img src=x onerror=alert\(1\)&gt; &quot;&#39; &amp;/);
  t.match(body(mail.text), /<img src=x onerror=alert\(1\)>/, 'plain text needs no escaping');
  const quiet = renderEmail(alert, { from: FROM, to: 'x@example.com', logs: false });
  t.same(quiet.attachments, []);
  t.notMatch(body(quiet.html), /onerror/);
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

t.test('long logs: the body shows the end, the attachment has all of it', async (t) => {
  const base = sampleAlert('presync-job-failed');
  const log = `${Array.from({ length: 5000 }, (_, i) => `row ${i}`).join('\n')}\n`;
  const mail = renderEmail({ ...base, report: reportWithLog(base, log) }, { from: FROM, to: 'x@example.com' });
  t.match(body(mail.text), /row 4999\n/);
  t.notMatch(body(mail.text), /row 100\n/);
  t.match(body(mail.text), /the whole log is attached as db-migrate-x7k2p_migrate\.log/);
  t.equal(mail.attachments?.[0]?.content, log);
});

t.test('the incident page link, when the alert carries one, in both parts; an unsafe one is left out', async (t) => {
  const url = 'https://alerts.example.com/incidents/inc_0123456789abcdef0123?exp=1795618360000&sig=abc';
  const mail = renderEmail({ ...sampleAlert('presync-job-failed'), incidentUrl: url }, { from: FROM, to: 'x@example.com' });
  t.match(body(mail.text), `Incident:     every log and the timeline (${url})`);
  t.match(body(mail.html), `<a href="${url.replaceAll('&', '&amp;')}"`);
  const none = renderEmail(sampleAlert('presync-job-failed'), { from: FROM, to: 'x@example.com' });
  t.notMatch(body(none.text), /every log and the timeline/);
  const unsafe = renderEmail({ ...sampleAlert('presync-job-failed'), incidentUrl: 'javascript:alert(1)' }, { from: FROM, to: 'x@example.com' });
  t.notMatch(body(unsafe.html), /javascript:/);
});
