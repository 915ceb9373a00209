import t from 'tap';
import { markSlackRootResolved, renderSlackMessage } from '../../../src/render/slack-message.js';
import { commitUrl } from '../../../src/render/revision-link.js';
import { validateBlocks } from '../../support/slack-api-server.js';
import type { Alert } from '../../../src/model/alert.js';
import type { AlertReport, JobReport } from '../../../src/model/job-report.js';
import { reportWithLog, resolvedAlert, sampleAlert, SAMPLE_FINDING } from '../../support/sample-alerts.js';

// Control sequences the renderer itself writes: our links and the configured mentions.
const OWN_SEQUENCES = /<https:\/\/(github\.com|www\.postgresql\.org)[^<>|]*\|[^<>]*>|<!subteam\^S0PAY>/g;

function mrkdwnTexts(blocks: unknown[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}

t.test('layout: header, Argo CD message, top finding first, fields, hook, button', async (t) => {
  const alert = sampleAlert('presync-job-failed', { findings: [SAMPLE_FINDING, { ...SAMPLE_FINDING, id: 'x', title: 'Second <finding>' }] });
  const msg = renderSlackMessage(alert, { mentions: ['<!subteam^S0PAY>'] });
  t.same(validateBlocks(msg.blocks), [], 'valid Block Kit within Slack limits');
  const types = msg.blocks.map((b) => b.type);
  t.same(types.slice(0, 5), ['header', 'section', 'section', 'context', 'section']);
  const [header, intro, diagnosis, also, fields] = msg.blocks;
  t.match(header, { text: { type: 'plain_text', text: ':red_circle: [FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)' } });
  t.match(intro, { text: { text: /^<!subteam\^S0PAY> \*Argo CD:\* one or more synchronization tasks/ } });
  t.match(diagnosis, { text: { text: /^:mag: \*Diagnosis: The migration adds NOT NULL.*\n>pq: column "currency".*\n\*Next step:\* Backfill.*\n<https:\/\/www\.postgresql\.org\/docs\/current\/errcodes-appendix\.html\|Docs>$/s } });
  t.match(also, { elements: [{ text: 'Also: Second &lt;finding&gt;' }] });
  const fieldTexts = (fields as { fields: { text: string }[] }).fields.map((f) => f.text);
  t.same(fieldTexts, [
    '*App*\nargocd/payments-api',
    '*Project*\npayments',
    '*Destination*\nhttps://kubernetes.default.svc / payments',
    '*Revision*\n<https://github.com/example-org/payments-deploy/commit/9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d|9b1f0c7>',
    '*Initiated by*\nautomated sync',
    '*Attempt*\nattempt 3 of 3',
  ]);
  const json = JSON.stringify(msg.blocks);
  t.match(json, /\*PreSync Job payments\/db-migrate\* · phase Failed\\nreason BackoffLimitExceeded · exit code 1 · ran 1m 05s\\npod db-migrate-x7k2p, container migrate/);
  t.match(msg.blocks.at(-2), { type: 'actions', elements: [{ type: 'button', text: { text: 'Open in Argo CD' }, url: 'https://argocd.example.com/applications/argocd/payments-api?operation=true' }] });
  t.same(msg.metadata, { event_type: 'argocd_hook_alert', event_payload: { incident: alert.incidentId, kind: 'failed' } });
  t.same(msg.files, [], 'a short log is not uploaded');
});

t.test('retrying: the failed attempt and that Argo CD retries', async (t) => {
  const msg = renderSlackMessage(sampleAlert('presync-job-retrying'));
  t.match(msg.text, /\[RETRYING\] payments-api: PreSync hook db-migrate failed \(exit 1, BackoffLimitExceeded\), Argo CD retries/);
  t.match(JSON.stringify(msg.blocks), /\*Attempt\*\\nattempt 1 of 3 \(Argo CD retries\)/);
});

t.test('without a report: what Argo CD said, the reason from its message, no empty sections', async (t) => {
  const msg = renderSlackMessage(sampleAlert('presync-job-failed', { report: null }));
  t.match(msg.text, /PreSync hook db-migrate failed \(BackoffLimitExceeded\)$/);
  const json = JSON.stringify(msg.blocks);
  t.match(json, /No cluster details for this hook/);
  t.notMatch(json, /```/);
});

t.test('missing logs are said precisely', async (t) => {
  const base = sampleAlert('presync-job-failed');
  const report = base.report as AlertReport;
  const gone: JobReport = { ...(report.hooks[0] as JobReport), pods: [], job: null, source: 'none', missing: ['logs unavailable: pods deleted by hook-delete-policy HookFailed and no capture'] };
  const msg = renderSlackMessage({ ...base, report: { ...report, hooks: [gone] } });
  t.match(JSON.stringify(msg.blocks), /:warning: logs unavailable: pods deleted by hook-delete-policy HookFailed and no capture/);
});

t.test('hostile strings from Argo CD and the cluster are escaped everywhere', async (t) => {
  const base = sampleAlert('tricky-strings', { findings: [{ ...SAMPLE_FINDING, evidence: '<!channel> `x`', hint: '<http://evil|ok> & more' }] });
  const msg = renderSlackMessage({ ...base, report: reportWithLog(base, '<!everyone> ``` <@U1>\n') }, { mentions: ['<!subteam^S0PAY>'] });
  t.same(validateBlocks(msg.blocks), []);
  for (const text of [msg.text, ...mrkdwnTexts(msg.blocks)]) {
    // A leading `>` is our own block quote of the evidence line.
    const rest = text.replace(OWN_SEQUENCES, '').replace(/^>/gm, '');
    t.notMatch(rest, /[<>]/, `no raw < or > left: ${rest.slice(0, 60)}`);
  }
  t.match(JSON.stringify(msg.blocks), /&lt;!channel&gt; &lt;https:\/\/evil\.example\|click&gt; &amp; ünïcødé 🚀/);
});

t.test('limits: 12 hooks with long logs and names stay within 50 blocks, 3000/150/2000 characters', async (t) => {
  const base = sampleAlert('multi-source-two-failed-hooks');
  const hookTemplate = base.event.hooks[0];
  const reportTemplate = (base.report as AlertReport).hooks[0];
  if (hookTemplate === undefined || reportTemplate === undefined) return t.fail('fixture changed');
  const longLog = Array.from({ length: 400 }, (_, i) => `${i} ${'🔥<&>'.repeat(20)}`).join('\n');
  const hooks = Array.from({ length: 12 }, (_, i) => ({ ...hookTemplate, name: `hook-${i}-${'n'.repeat(200)}` }));
  const reports: JobReport[] = hooks.map((hook) => ({
    ...reportTemplate,
    hook,
    pods: reportTemplate.pods.map((p) => ({
      ...p,
      containers: [0, 1, 2].map((c) => ({ ...(p.containers[0] as JobReport['pods'][number]['containers'][number]), name: `c${c}`, log: { text: longLog, truncated: true, bytes: 1, lines: 400, previous: false } })),
    })),
  }));
  const alert: Alert = { ...base, event: { ...base.event, app: { ...base.event.app, name: 'a'.repeat(200) }, hooks }, report: { ...(base.report as AlertReport), hooks: reports } };
  const msg = renderSlackMessage(alert);
  t.same(validateBlocks(msg.blocks), []);
  t.ok(msg.blocks.length <= 49, `${msg.blocks.length} blocks leave room for the resolve update`);
  t.ok(msg.text.length <= 3000);
  t.match(JSON.stringify(msg.blocks), /more failed hooks not shown here/);
  t.equal(msg.files.length, 10, 'cut and hidden logs go as files, at most 10');
  const resolved = markSlackRootResolved({ text: msg.text, blocks: msg.blocks }, resolvedAlert(alert.incidentId));
  t.same(validateBlocks(resolved.blocks), [], 'the resolve update fits too');
});

t.test('markSlackRootResolved: header and a line under it, idempotent, mentions not repeated', async (t) => {
  const alert = sampleAlert('presync-job-failed');
  const msg = renderSlackMessage(alert, { mentions: ['<!subteam^S0PAY>'] });
  const once = markSlackRootResolved({ text: msg.text, blocks: msg.blocks }, resolvedAlert(alert.incidentId));
  const twice = markSlackRootResolved(once, resolvedAlert(alert.incidentId));
  t.same(twice, once, 'idempotent');
  t.match(once.blocks[0], { type: 'header', text: { text: ':white_check_mark: RESOLVED · [FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)' } });
  t.match(once.blocks[1], { type: 'context', block_id: 'hook_alerts_resolved', elements: [{ text: /Resolved: Argo CD synced revision `9b1f0c7` successfully .* \(initiated by jane\.doe@example\.org\)/ }] });
  t.equal(once.blocks.length, msg.blocks.length + 1);
  t.equal(once.text, 'RESOLVED · :red_circle: [FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)');
});

t.test('the resolved reply', async (t) => {
  const msg = renderSlackMessage(resolvedAlert('inc_x'));
  t.same(validateBlocks(msg.blocks), []);
  t.match(msg.text, /^:white_check_mark: \[RESOLVED\] payments-api: sync succeeded, incident resolved$/);
  t.same(msg.metadata.event_payload, { incident: 'inc_x', kind: 'resolved' });
});

t.test('commit links for GitHub, GitLab and Bitbucket only, never with credentials', async (t) => {
  const sha = '9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d';
  t.equal(commitUrl('https://github.com/o/r.git', sha), `https://github.com/o/r/commit/${sha}`);
  t.equal(commitUrl('git@github.com:o/r.git', sha), `https://github.com/o/r/commit/${sha}`);
  t.equal(commitUrl('https://gitlab.com/group/sub/r', sha), `https://gitlab.com/group/sub/r/-/commit/${sha}`);
  t.equal(commitUrl('ssh://git@bitbucket.org/o/r.git', sha), `https://bitbucket.org/o/r/commits/${sha}`);
  t.equal(commitUrl('https://gitlab.example.com/o/r.git', sha), null, 'self-hosted: unknown URL scheme for commits');
  t.equal(commitUrl('https://user:token@github.com/o/r.git', sha), null);
  t.equal(commitUrl('https://github.com/o/r.git', 'v3.2.0'), null, 'a tag or chart version is not a commit');
  t.equal(commitUrl('https://github.com/o/r|<!channel>', sha), null);
});

t.test('a log from a capture says so: the pod is gone', async (t) => {
  const base = sampleAlert('presync-job-failed');
  const report = base.report as AlertReport;
  const hooks = report.hooks.map((h) => ({ ...h, source: 'capture' as const, pods: h.pods.map((p) => ({ ...p, capturedAt: '2026-11-20T14:06:35Z' })) }));
  const msg = renderSlackMessage({ ...base, report: { ...report, hooks } });
  t.match(JSON.stringify(msg.blocks), /Log of db-migrate-x7k2p\/migrate \(captured 2026-11-20T14:06:35Z, the pod is gone\): 12 lines/);
});
