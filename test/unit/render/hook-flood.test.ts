import t from 'tap';
import { sampleAlert } from '../../support/sample-alerts.js';
import { renderEmail } from '../../../src/render/email-message.js';
import { renderSlackMessage } from '../../../src/render/slack-message.js';
import { hookFacts, MAX_HOOKS_SHOWN, omittedHooksText } from '../../../src/render/hook-facts.js';
import { subjectLine } from '../../../src/render/headline.js';
import type { Alert } from '../../../src/model/alert.js';

/** The presync-job-failed sample with `n` failed hooks and no cluster details. */
function floodAlert(n: number): Alert {
  const alert = sampleAlert('presync-job-failed', { report: null });
  const template = alert.event.hooks[0];
  if (template === undefined) throw new Error('the sample has no hook');
  const hooks = Array.from({ length: n }, (_, i) => ({ ...template, name: `migrate-${i}` }));
  return { ...alert, event: { ...alert.event, hooks } };
}

t.test('an alert with 14,000 failed hooks shows 10, names the others up to a bound and stays small', async (t) => {
  const alert = floodAlert(14_000);
  t.equal(hookFacts(alert).length, 10);
  const omitted = omittedHooksText(alert) ?? '';
  t.match(omitted, /^13990 more failed hooks not shown \(14000 in all\): payments\/migrate-10, payments\/migrate-11, .* and \d+ more; Argo CD lists them all\.$/);
  t.ok(omitted.length < 1_200, 'the names stop at ~1,000 characters');
  t.match(subjectLine(alert, hookFacts(alert)), /PreSync hook migrate-0 failed.*\(\+13999 more\)/, 'the subject counts every hook');

  const mail = renderEmail(alert, { from: 'alerts@example.com', to: 'oncall@example.com' });
  const text = typeof mail.text === 'string' ? mail.text : '';
  const html = typeof mail.html === 'string' ? mail.html : '';
  t.ok(text.length > 0 && text.length < 20_000, `email text bounded (${text.length} chars)`);
  t.ok(html.length > 0 && html.length < 40_000, `email HTML bounded (${html.length} chars)`);
  t.ok(text.includes(omitted), 'the email lists the others');
  const slack = renderSlackMessage(alert);
  t.ok(JSON.stringify(slack).length < 60_000, `Slack message bounded (${JSON.stringify(slack).length} chars)`);
  t.ok(JSON.stringify(slack.blocks).includes('13990 more failed hooks not shown (14000 in all)'), 'Slack lists the others');
});

t.test('every hook enrichment read is shown, up to MAX_HOOKS_SHOWN', async (t) => {
  const alert = floodAlert(30);
  t.equal(hookFacts(alert).length, 10, 'no report: 10');
  const hooks = alert.event.hooks.slice(0, 15).map((hook) => ({ hook, cluster: 'in-cluster', job: null, pods: [], events: [], source: 'none' as const, capturedAt: null, missing: [] }));
  const enriched: Alert = { ...alert, report: { hooks, notes: [], enrichedAt: '2026-11-20T14:07:16Z', durationMs: 1 } };
  t.equal(hookFacts(enriched).length, 15, 'the 15 hooks read are all shown');
  t.match(omittedHooksText(enriched), /^15 more failed hooks not shown \(30 in all\): payments\/migrate-15,/);
  const all = alert.event.hooks.map((hook) => ({ hook, cluster: 'in-cluster', job: null, pods: [], events: [], source: 'none' as const, capturedAt: null, missing: [] }));
  t.equal(hookFacts({ ...alert, report: { hooks: all, notes: [], enrichedAt: '2026-11-20T14:07:16Z', durationMs: 1 } }).length, MAX_HOOKS_SHOWN, 'never more than MAX_HOOKS_SHOWN');
  t.equal(omittedHooksText(floodAlert(3)), null, 'nothing omitted when every hook is shown');
});
