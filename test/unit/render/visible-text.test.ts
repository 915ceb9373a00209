import t from 'tap';
import { visibleText, withVisibleText } from '../../../src/render/visible-text.js';
import { renderEmail } from '../../../src/render/email-message.js';
import { renderSlackMessage } from '../../../src/render/slack-message.js';
import type { Alert } from '../../../src/model/alert.js';
import { sampleAlert } from '../../support/sample-alerts.js';

function named(name: string): Alert {
  const alert = sampleAlert('presync-job-failed');
  return { ...alert, event: { ...alert.event, app: { ...alert.event.app, name } } };
}

t.test('bidi, zero-width and lone surrogates become visible escapes; the rest stays', async (t) => {
  t.equal(visibleText('pay\u202Egnp.exe'), 'pay<U+202E>gnp.exe');
  t.equal(visibleText('a\u2066b\u2067c\u2068d\u2069e'), 'a<U+2066>b<U+2067>c<U+2068>d<U+2069>e');
  t.equal(visibleText('zero\u200Bwidth\uFEFF\u200D\u2060'), 'zero<U+200B>width<U+FEFF><U+200D><U+2060>');
  t.equal(visibleText('lone \ud800 and \udc00'), 'lone <U+D800> and <U+DC00>');
  t.equal(visibleText('emoji \ud83d\ude80, accents é, CJK 漢字'), 'emoji \ud83d\ude80, accents é, CJK 漢字');
  t.same(withVisibleText({ a: ['x\u202E', 1, null], b: { c: '\u200B' } }), { a: ['x<U+202E>', 1, null], b: { c: '<U+200B>' } });
});

t.test('the Slack header and the email subject show a right-to-left override instead of obeying it', async (t) => {
  const alert = named('payments\u202Eipa');
  const slack = JSON.stringify(renderSlackMessage(alert));
  t.notMatch(slack, '\u202E');
  t.match(slack, 'payments<U+202E>ipa');
  const header = renderSlackMessage(alert).blocks.find((b) => b.type === 'header');
  t.match(JSON.stringify(header), '<U+202E>');
  const mail = renderEmail(alert, { from: 'a@example.com', to: 'b@example.com' });
  t.match(String(mail.subject), '[FAILED] payments<U+202E>ipa:');
  t.notMatch(JSON.stringify([mail.text, mail.html]), '\u202E');
});

t.test('a lone surrogate (an event stored before intake refused them) renders instead of throwing', async (t) => {
  const alert = named('pay\ud800ments');
  t.doesNotThrow(() => encodeURIComponent(JSON.stringify(renderSlackMessage(alert))));
  const mail = renderEmail(alert, { from: 'a@example.com', to: 'b@example.com' });
  t.match(String(mail.subject), 'pay<U+D800>ments');
});
