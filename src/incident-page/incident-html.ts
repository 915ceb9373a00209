/**
 * The incident page and the incident list as HTML: pure functions of the store's data. Every text is
 * escaped; there is no script, and the one inline style is allowed by its hash (PAGE_STYLE_HASH) in the
 * Content-Security-Policy, so the pages work without JavaScript and nothing injected can run.
 */
import { createHash } from 'node:crypto';
import { deliveryKindOf, type Alert } from '../model/alert.js';
import type { DeliveryState } from '../store/alert-store.js';
import type { IncidentDelivery, IncidentDetail, IncidentEventRecord, IncidentPage, IncidentState, IncidentSummary } from '../store/incident-reads.js';
import { escapeHtml as esc } from '../render/email-message.js';
import { subjectLine } from '../render/headline.js';
import { formatDuration, hookFacts, logLabel, type ContainerLog, type HookFacts } from '../render/hook-facts.js';
import { argocdAppUrl } from '../render/argocd-link.js';
import { revisionViews } from '../render/revision-link.js';
import { parseTarget } from '../model/sink.js';
import type { ContainerState, PodReport } from '../model/job-report.js';
import { failingLines } from './failing-lines.js';
import { incidentPath } from './signed-link.js';

const PAGE_STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--bad:#b3261e;--bad-bg:#ffebe9;--ok:#1a7f37;--mark:#fff1b8}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--bad:#ff7b72;--bad-bg:#3c1618;--ok:#3fb950;--mark:#5a4a00}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1rem;font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
a{color:inherit}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0969da;outline-offset:2px}
h1{font-size:1.35rem;margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}h3{font-size:1rem;margin:1.2rem 0 .4rem}
.muted{color:var(--muted)}.bad{color:var(--bad)}.ok{color:var(--ok)}
.badge{display:inline-block;padding:0 .45rem;border:1px solid currentColor;border-radius:1rem;font-size:.85em}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid var(--line);padding:.25rem .4rem;text-align:left;vertical-align:top}
th{font-weight:600}
dl{display:grid;grid-template-columns:minmax(6rem,max-content) 1fr;gap:.15rem .8rem;margin:.4rem 0}dt{font-weight:600}dd{margin:0}
.finding{border-left:4px solid var(--bad);background:var(--bad-bg);padding:.4rem .7rem;margin:.5rem 0}
pre.log{counter-reset:line;white-space:pre-wrap;overflow-wrap:anywhere;font:12.5px/1.4 ui-monospace,monospace;border:1px solid var(--line);padding:.4rem;margin:.3rem 0}
pre.log .l::before{counter-increment:line;content:counter(line);display:inline-block;min-width:3.2em;margin-right:.6em;text-align:right;color:var(--muted);user-select:none}
pre.log mark.l{background:var(--mark);color:inherit;display:inline-block;width:100%}
form.inline{display:inline}
button{font:inherit;padding:.2rem .7rem;cursor:pointer}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}form.filters label{display:flex;flex-direction:column;font-size:.9em}
input,select{font:inherit;max-width:100%}
.notice{border:1px solid var(--ok);padding:.4rem .7rem}
ol.timeline{padding-left:1.2rem}ol.timeline li{margin:.15rem 0}
@media (max-width:40rem){table.wide thead{display:none}table.wide,table.wide tbody,table.wide tr,table.wide td{display:block;width:100%}
table.wide tr{border:1px solid var(--line);margin:.4rem 0}table.wide td{border:0}table.wide td[data-label]::before{content:attr(data-label) ": ";font-weight:600}}
`;

/** The Content-Security-Policy hash of the pages' one inline style. */
export const PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}`;

/** A replay form's CSRF token and its expiry, made by the route for one delivery and one viewer. */
export interface ReplayForm {
  token: string;
  expires: number;
}

/** What the incident page shows besides the store's data. */
export interface IncidentPageOptions {
  /** Appended to the page's own links (`?exp=…&sig=…` of a signed link), '' otherwise. */
  linkQuery: string;
  /** Per replayable delivery id: its form's token; a delivery without one shows no button. */
  replayForms: ReadonlyMap<number, ReplayForm>;
  /** Who is looking ('alice@example.com', 'viewer-token', 'signed-link'). */
  viewer: string;
  /** A line to show on top (the outcome of a replay). */
  notice: string | null;
  /** For "3 minutes ago"-free absolute times: the page states UTC times as ISO 8601. */
  now: number;
}

function iso(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin"><link rel="icon" href="data:,"><title>${esc(title)}</title><style>${PAGE_STYLE}</style></head>
<body>${body}</body></html>`;
}

function stateBadge(state: IncidentState): string {
  return state === 'resolved' ? '<span class="badge ok">resolved</span>' : '<span class="badge bad">open</span>';
}

const UNSENT: readonly DeliveryState[] = ['dead', 'failed'];

function deliveryStateText(state: DeliveryState): string {
  return UNSENT.includes(state) ? `<span class="bad">${esc(state)}</span>` : esc(state);
}

/** The alert an event stood for, as the renderers of Slack and email saw it. */
function alertOf(incidentId: string, record: IncidentEventRecord): Alert {
  return { incidentId, deliveryKind: deliveryKindOf(record.event), event: record.event, report: record.report, findings: record.findings };
}

/** The event whose story the page tells: the latest that is not the resolution and has a report, else the latest. */
function mainEvent(detail: IncidentDetail): IncidentEventRecord | null {
  const failures = detail.events.filter((e) => e.event.kind !== 'sync-succeeded');
  return failures.findLast((e) => e.report !== null) ?? failures.at(-1) ?? detail.events.at(-1) ?? null;
}

/** The headline of an incident in the list: the subject its alerts carry. */
function summaryHeadline(s: IncidentSummary): string {
  const alert: Alert = { incidentId: s.id, deliveryKind: deliveryKindOf(s.lastEvent), event: s.lastEvent, report: null, findings: s.findings };
  return subjectLine(alert, hookFacts(alert));
}

/** The list's filters as given (a bad value was refused before rendering). */
export interface IncidentListFilter {
  app?: string;
  project?: string;
  state?: IncidentState;
  page: number;
}

function listQuery(filter: IncidentListFilter, page: number): string {
  const params = new URLSearchParams();
  if (filter.app !== undefined) params.set('app', filter.app);
  if (filter.project !== undefined) params.set('project', filter.project);
  if (filter.state !== undefined) params.set('state', filter.state);
  if (page > 1) params.set('page', String(page));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** GET /incidents: recent incidents, newest first, with the filters and the pager. */
export function renderIncidentList(found: IncidentPage, filter: IncidentListFilter): string {
  const option = (value: string, label: string): string =>
    `<option value="${value}"${(filter.state ?? '') === value ? ' selected' : ''}>${label}</option>`;
  const rows = found.incidents.map((s) => {
    const finding = s.findings[0];
    return `<tr>
<td data-label="Incident"><a href="${esc(incidentPath(s.id))}">${esc(summaryHeadline(s))}</a>${finding === undefined ? '' : `<br><span class="muted">${esc(finding.title)}</span>`}</td>
<td data-label="App">${esc(`${s.appNamespace}/${s.appName}`)}${s.lastEvent.app.project === null ? '' : `<br><span class="muted">project ${esc(s.lastEvent.app.project)}</span>`}</td>
<td data-label="Started">${esc(s.startedAt)}</td>
<td data-label="State">${stateBadge(s.state)}${s.unsentDeliveries === 0 ? '' : ` <span class="bad">${s.unsentDeliveries} unsent</span>`}</td>
</tr>`;
  });
  const pager = [
    filter.page > 1 ? `<a href="/incidents${esc(listQuery(filter, filter.page - 1))}" rel="prev">newer</a>` : '',
    found.more ? `<a href="/incidents${esc(listQuery(filter, filter.page + 1))}" rel="next">older</a>` : '',
  ].filter((l) => l !== '').join(' · ');
  const body = `<main>
<h1>Hook incidents</h1>
<form class="filters" method="get" action="/incidents">
<label>App <input name="app" value="${esc(filter.app ?? '')}" placeholder="name or namespace/name"></label>
<label>Project <input name="project" value="${esc(filter.project ?? '')}"></label>
<label>State <select name="state">${option('', 'any')}${option('open', 'open')}${option('resolved', 'resolved')}</select></label>
<button type="submit">Filter</button>
</form>
${rows.length === 0
    ? '<p>No incidents match.</p>'
    : `<table class="wide"><thead><tr><th>Incident</th><th>App</th><th>Started</th><th>State</th></tr></thead><tbody>${rows.join('')}</tbody></table>`}
<p>${pager === '' ? `<span class="muted">page ${filter.page}</span>` : `page ${filter.page}: ${pager}`}</p>
</main>`;
  return page('Hook incidents', body);
}

function stateText(s: ContainerState | null): string {
  if (s === null) return '—';
  const parts = [s.state, s.reason ?? '', s.exitCode === null ? '' : `exit ${s.exitCode}`, s.signal === null ? '' : `signal ${s.signal}`].filter((p) => p !== '');
  return parts.join(', ') + (s.message === null || s.message === '' ? '' : `: ${s.message}`);
}

function podsTable(pods: readonly PodReport[]): string {
  if (pods.length === 0) return '<p class="muted">No pods were read.</p>';
  const rows = pods.flatMap((pod, attempt) =>
    pod.containers.map((c) => `<tr>
<td data-label="Attempt">${attempt + 1}</td>
<td data-label="Pod">${esc(pod.name)}${pod.capturedAt == null ? '' : `<br><span class="muted">captured ${esc(pod.capturedAt)}</span>`}</td>
<td data-label="Container">${esc(c.name)}${c.init ? ' (init)' : ''}</td>
<td data-label="State">${esc(stateText(c.current))}${c.lastTermination === null ? '' : `<br><span class="muted">before: ${esc(stateText(c.lastTermination))}</span>`}</td>
<td data-label="Restarts">${c.restartCount}</td>
</tr>`),
  );
  return `<table class="wide"><thead><tr><th>Attempt</th><th>Pod</th><th>Container</th><th>State</th><th>Restarts</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A log with numbered lines, the failing ones marked (and listed, as links, above it). */
function logBlock(log: ContainerLog, anchor: string, findings: IncidentEventRecord['findings']): string {
  const lines = log.text.endsWith('\n') ? log.text.slice(0, -1).split('\n') : log.text.split('\n');
  const failing = failingLines(lines, findings);
  const body = lines
    .map((line, i) => (failing.has(i) ? `<mark class="l" id="${anchor}-L${i + 1}">${esc(line)}</mark>` : `<span class="l">${esc(line)}</span>`))
    .join('\n');
  const jumps = [...failing].slice(0, 20).map((i) => `<a href="#${anchor}-L${i + 1}">line ${i + 1}</a>`).join(', ');
  return `<h4 id="${anchor}">${esc(logLabel(log))}</h4>
<p class="muted">${lines.length} lines${log.truncated ? ', cut by enrichment (kubernetes.logs.tailLines / maxLogBytesPerContainer): the start is missing' : ''}${failing.size === 0 ? '' : `; failing: ${jumps}${failing.size > 20 ? ' …' : ''}`}</p>
<pre class="log" tabindex="0" aria-label="${esc(`log of ${log.pod}/${log.container}`)}">${body}</pre>`;
}

function hookSection(facts: HookFacts, index: number, findings: IncidentEventRecord['findings']): string {
  const { hook, report } = facts;
  const summary: string[] = [];
  if (facts.reason !== null) summary.push(`<dt>Reason</dt><dd class="bad">${esc(facts.reason)}</dd>`);
  if (facts.exitCode !== null) summary.push(`<dt>Exit code</dt><dd>${facts.exitCode}${facts.containerReason === null ? '' : ` (${esc(facts.containerReason)})`}</dd>`);
  if (facts.durationSeconds !== null) summary.push(`<dt>Ran</dt><dd>${esc(formatDuration(facts.durationSeconds))}</dd>`);
  if (hook.message !== null) summary.push(`<dt>Argo CD says</dt><dd>${esc(hook.message)}</dd>`);
  if (report?.job != null) summary.push(`<dt>Job</dt><dd>${esc(`${report.job.namespace}/${report.job.name}`)}: ${report.job.failed} failed, backoffLimit ${report.job.backoffLimit ?? '—'}</dd>`);
  if (report !== null) summary.push(`<dt>Read</dt><dd>${esc(report.source)}${report.cluster === null ? '' : ` from ${esc(report.cluster)}`}</dd>`);
  const events = report?.events ?? [];
  const eventsTable = events.length === 0
    ? '<p class="muted">No Kubernetes events were read.</p>'
    : `<table class="wide"><thead><tr><th>Type</th><th>Reason</th><th>Object</th><th>Message</th><th>Last seen</th></tr></thead><tbody>${events
        .map((e) => `<tr><td data-label="Type">${esc(e.type)}</td><td data-label="Reason">${esc(e.reason ?? '')}</td><td data-label="Object">${esc(e.object)}</td><td data-label="Message">${esc(e.message ?? '')}${e.count > 1 ? ` <span class="muted">(×${e.count})</span>` : ''}</td><td data-label="Last seen">${esc(e.lastTimestamp ?? e.firstTimestamp ?? '')}</td></tr>`)
        .join('')}</tbody></table>`;
  const logs = facts.logs.map((log, i) => logBlock(log, `h${index}-log${i}`, findings)).join('\n');
  return `<section aria-labelledby="hook-${index}">
<h3 id="hook-${index}">${esc(`${hook.hookType} hook ${hook.kind}/${hook.name}`)}</h3>
<dl>${summary.join('')}</dl>
${podsTable(report?.pods ?? [])}
${facts.missing.length === 0 ? '' : `<ul>${facts.missing.map((m) => `<li class="muted">${esc(m)}</li>`).join('')}</ul>`}
<h4>Events</h4>
${eventsTable}
${facts.logs.length === 0 ? '<p class="muted">No logs were captured.</p>' : logs}
</section>`;
}

/** A link to the message the delivery became, where one can be made: a Slack permalink, else its ref as text. */
function refHtml(d: IncidentDelivery): string {
  if (d.ref === null) return '—';
  const { sink } = parseTarget(d.target);
  const i = d.ref.indexOf(':');
  if (sink === 'slack' && i > 0) {
    const channel = d.ref.slice(0, i);
    const ts = d.ref.slice(i + 1).replace('.', '');
    if (/^[A-Z0-9]+$/.test(channel) && /^\d+$/.test(ts)) {
      return `<a href="https://slack.com/archives/${channel}/p${ts}" rel="noreferrer">Slack message</a>`;
    }
  }
  return sink === 'email' ? `Message-ID <code>${esc(d.ref)}</code>` : `<code>${esc(d.ref)}</code>`;
}

function deliveriesTable(detail: IncidentDetail, opts: IncidentPageOptions): string {
  if (detail.deliveries.length === 0) return '<p class="muted">Nothing was delivered yet.</p>';
  const rows = detail.deliveries.map((d) => {
    const form = opts.replayForms.get(d.id);
    const replay = form === undefined
      ? ''
      : `<form class="inline" method="post" action="${esc(`${incidentPath(d.incidentId)}/deliveries/${d.id}/replay${opts.linkQuery}`)}">
<input type="hidden" name="csrf" value="${esc(form.token)}"><input type="hidden" name="expires" value="${form.expires}">
<button type="submit" aria-label="${esc(`Send delivery ${d.id} to ${d.target} again`)}">Send again</button></form>`;
    return `<tr id="delivery-${d.id}">
<td data-label="Delivery">${d.id}</td>
<td data-label="Target">${esc(d.target)}<br><span class="muted">${esc(d.kind)}</span></td>
<td data-label="State">${deliveryStateText(d.state)} ${replay}</td>
<td data-label="Attempts">${d.attempts}</td>
<td data-label="Last error">${d.lastError === null ? '—' : `<span class="bad">${esc(d.lastError)}</span>`}</td>
<td data-label="Sent as">${refHtml(d)}</td>
<td data-label="Replayed">${d.replayedAt === null ? '—' : `by ${esc(d.replayedBy ?? 'unknown')}<br>${iso(d.replayedAt)}`}</td>
</tr>`;
  });
  return `<table class="wide"><thead><tr><th>Delivery</th><th>Target</th><th>State</th><th>Attempts</th><th>Last error</th><th>Sent as</th><th>Replayed</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface TimelineEntry {
  at: number;
  text: string;
}

function eventText(record: IncidentEventRecord): string {
  const { event } = record;
  const op = event.operation;
  switch (event.kind) {
    case 'hook-failed':
      return op?.phase === 'Running' ? 'hook failed, sync still running (other hooks run on)' : 'hook failed: Argo CD gave up';
    case 'hook-retrying':
      return `hook failed, Argo CD retries (retry ${op?.retryCount ?? '?'}${op?.retryLimit == null ? '' : ` of ${op.retryLimit}`})`;
    case 'hook-stuck':
      return 'hook stuck';
    case 'hook-blocked':
      return 'hook pod blocked: it cannot start';
    case 'hook-skipped':
      return 'hook skipped: a Job left from an earlier sync was not run again';
    case 'sync-succeeded':
      return 'sync succeeded: incident resolved';
  }
}

function timeline(detail: IncidentDetail): string {
  const entries: TimelineEntry[] = [];
  for (const record of detail.events) {
    entries.push({ at: record.receivedAt, text: `received: ${esc(eventText(record))}` });
    if (record.report !== null) {
      const at = Date.parse(record.report.enrichedAt);
      entries.push({ at: Number.isNaN(at) ? record.receivedAt : at, text: `enriched in ${Math.round(record.report.durationMs)} ms (${record.report.hooks.length} hook${record.report.hooks.length === 1 ? '' : 's'} read)` });
    }
    if (record.routedAt !== null) entries.push({ at: record.routedAt, text: `routed${record.findings.length === 0 ? '' : `, diagnosis: ${esc(record.findings.map((f) => f.title).join('; '))}`}` });
  }
  for (const d of detail.deliveries) {
    const what = `delivery ${d.id} to ${esc(d.target)} (${esc(d.kind)})`;
    entries.push({ at: d.createdAt, text: `${what} queued` });
    if (d.firstAttemptAt !== null) entries.push({ at: d.firstAttemptAt, text: `${what}: first attempt` });
    if (d.replayedAt !== null) entries.push({ at: d.replayedAt, text: `${what} replayed by ${esc(d.replayedBy ?? 'unknown')}` });
    if (d.sentAt !== null) entries.push({ at: d.sentAt, text: `${what} sent after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` });
    else if (d.state !== 'pending' || d.attempts > 0) entries.push({ at: d.updatedAt, text: `${what}: ${deliveryStateText(d.state)} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${d.lastError === null ? '' : ` — ${esc(d.lastError)}`}` });
  }
  if (detail.summary.resolvedAt !== null) entries.push({ at: detail.summary.resolvedAt, text: '<span class="ok">resolved</span>' });
  entries.sort((a, b) => a.at - b.at);
  return `<ol class="timeline">${entries.map((e) => `<li><time datetime="${new Date(e.at).toISOString()}">${iso(e.at)}</time> ${e.text}</li>`).join('')}</ol>`;
}

/** GET /incidents/<id>: the whole story of one incident. */
export function renderIncidentPage(detail: IncidentDetail, opts: IncidentPageOptions): string {
  const { summary } = detail;
  const main = mainEvent(detail);
  const alert = main === null ? null : alertOf(summary.id, main);
  const facts = alert === null ? [] : hookFacts(alert);
  const event = main?.event ?? summary.lastEvent;
  const headline = alert === null ? `${summary.appName}: incident` : subjectLine(alert, facts);
  const revisions = revisionViews(event)
    .map((r) => (r.url === null ? `<code>${esc(r.revision)}</code>` : `<a href="${esc(r.url)}" rel="noreferrer"><code>${esc(r.short)}</code></a>`))
    .join(', ');
  const argo = event.argocdUrl === null ? '' : ` · <a href="${esc(argocdAppUrl(event.argocdUrl, event.app.namespace, event.app.name))}" rel="noreferrer">open in Argo CD</a>`;
  const findings = main?.findings ?? [];
  const diagnosis = findings.length === 0
    ? '<p class="muted">No diagnosis rule matched: read the logs below.</p>'
    : findings.map((f) => `<div class="finding"><strong>${esc(f.title)}</strong> <span class="muted">(${esc(f.severity)}, ${esc(f.id)})</span>
${f.evidence === null ? '' : `<pre class="log">${esc(f.evidence)}</pre>`}<p>${esc(f.hint)}</p>${f.docs === null ? '' : `<p><a href="${esc(f.docs)}" rel="noreferrer">more about it</a></p>`}</div>`).join('');
  const op = event.operation;
  const hooksHtml = facts.length === 0
    ? '<p class="muted">No hook was reported.</p>'
    : facts.map((f, i) => hookSection(f, i, findings)).join('\n');
  const body = `<main>
<p><a href="/incidents">All incidents</a></p>
${opts.notice === null ? '' : `<p class="notice" role="status">${esc(opts.notice)}</p>`}
<h1>${esc(headline)}</h1>
<p>${stateBadge(summary.state)}${summary.resolvedAt === null ? '' : ` at ${iso(summary.resolvedAt)}`} · incident <code>${esc(summary.id)}</code></p>
<dl>
<dt>App</dt><dd>${esc(`${event.app.namespace}/${event.app.name}`)}${event.app.project === null ? '' : ` (project ${esc(event.app.project)})`}${argo}</dd>
<dt>Revision</dt><dd>${revisions === '' ? '—' : revisions}</dd>
<dt>Operation</dt><dd>${op === null ? '—' : `${esc(op.phase)}, started ${esc(op.startedAt)}${op.message === null ? '' : `: ${esc(op.message)}`}`}</dd>
<dt>Destination</dt><dd>${esc(`${event.destination.server ?? event.destination.name ?? '—'} / ${event.destination.namespace ?? '—'}`)}</dd>
</dl>
<h2>Diagnosis</h2>
${diagnosis}
<h2>Hooks</h2>
<p><a href="${esc(`${incidentPath(summary.id)}/logs.txt${opts.linkQuery}`)}" download>Download all logs as text</a></p>
${hooksHtml}
${main?.report?.notes.length ? `<ul>${main.report.notes.map((n) => `<li class="muted">${esc(n)}</li>`).join('')}</ul>` : ''}
<h2>Deliveries</h2>
${deliveriesTable(detail, opts)}
<h2>Timeline</h2>
${timeline(detail)}
<p class="muted">Viewing as ${esc(opts.viewer)} · times in UTC · page made ${iso(opts.now)}</p>
</main>`;
  return page(headline, body);
}

/** The plain-text download: every captured log of every hook, each under a header naming it. */
export function incidentLogsText(detail: IncidentDetail): string {
  const main = mainEvent(detail);
  if (main === null) return '';
  const parts: string[] = [];
  for (const facts of hookFacts(alertOf(detail.summary.id, main))) {
    for (const log of facts.logs) {
      parts.push(`===== ${facts.hook.hookType} hook ${facts.hook.name}: ${logLabel(log)}${log.truncated ? ' (cut by enrichment)' : ''} =====\n${log.text.endsWith('\n') ? log.text : `${log.text}\n`}`);
    }
  }
  return parts.length === 0 ? 'no logs were captured for this incident\n' : parts.join('\n');
}
