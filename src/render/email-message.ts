import type Mail from 'nodemailer/lib/mailer/index.js';
import type { Alert, DeliveryKind } from '../model/alert.js';
import type { HookEventKind } from '../model/hook-event.js';
import { argocdAppUrl } from './argocd-link.js';
import { subjectLine } from './headline.js';
import {
  attemptText,
  destinationText,
  formatDuration,
  hookFacts,
  initiatedByText,
  logLabel,
  omittedHooksText,
  seenByText,
  type HookFacts,
} from './hook-facts.js';
import { revisionViews } from './revision-link.js';
import { withVisibleText } from './visible-text.js';
import { isSafeUrl } from './slack-text.js';

/** Addressing and presentation of one email. */
export interface EmailRenderOptions {
  from: string;
  to: string | string[];
  /** Message-ID of the incident's first mail to this recipient: this mail replies to it. */
  threadRootRef?: string | null;
  /** false: summary and link only, no log body and no attachment. Default true. */
  logs?: boolean;
}

// The body shows the end of each log; the whole (scrubbed) log is attached.
const BODY_LOG_LINES = 60;
const BODY_LOG_CHARS = 8_000;

const KIND_COLORS = {
  'hook-failed': '#b42318',
  'hook-retrying': '#b54708',
  'hook-stuck': '#6941c6',
  'hook-blocked': '#b42318',
  'hook-skipped': '#b54708',
  'sync-succeeded': '#067647',
} as const satisfies Record<HookEventKind, string>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

function domainOf(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return m?.[1]?.toLowerCase() ?? 'argocd-hook-alerts.invalid';
}

function kindSlug(kind: DeliveryKind): string {
  return kind.replace(/[^a-z0-9]+/gi, '-');
}

/**
 * The Message-ID of an alert mail: stable per (incident, kind), so a mail sent twice across a crash
 * carries the same id (mail clients and Gmail collapse such duplicates) and replies can reference the root.
 */
export function emailMessageId(alert: Alert, from: string): string {
  return `<${alert.incidentId}.${kindSlug(alert.deliveryKind)}@${domainOf(from)}>`;
}

function logTail(text: string): { text: string; cut: boolean } {
  const lines = text.replace(/\n+$/, '').split('\n');
  let tail = lines.slice(-BODY_LOG_LINES).join('\n');
  if (tail.length > BODY_LOG_CHARS) tail = tail.slice(tail.length - BODY_LOG_CHARS);
  return { text: tail, cut: tail.length < text.replace(/\n+$/, '').length };
}


function hookDetails(f: HookFacts): string[] {
  const parts: string[] = [];
  if (f.reason !== null) parts.push(`reason ${f.reason}`);
  if (f.containerReason !== null && f.containerReason !== 'Error' && f.containerReason !== f.reason) parts.push(f.containerReason);
  if (f.exitCode !== null) parts.push(`exit code ${f.exitCode}`);
  if (f.durationSeconds !== null) parts.push(`ran ${formatDuration(f.durationSeconds)}`);
  if (f.images.length > 0) parts.push(`image ${f.images.join(', ')} (recorded by Argo CD; the Job is gone)`);
  return parts;
}

function hookTitle(f: HookFacts): string {
  const h = f.hook;
  return `${h.hookType} ${h.kind} ${h.namespace === null ? '' : `${h.namespace}/`}${h.name} · phase ${h.hookPhase ?? 'unknown'}`;
}

interface Row {
  label: string;
  text: string;
  href: string | null;
}

function detailRows(alert: Alert): Row[] {
  const { event } = alert;
  const page = alert.incidentUrl !== undefined && isSafeUrl(alert.incidentUrl) ? alert.incidentUrl : null;
  const rows: Row[] = [
    ...(page === null ? [] : [{ label: 'Incident', text: 'every log and the timeline', href: page }]),
    { label: 'App', text: `${event.app.namespace}/${event.app.name}`, href: null },
    { label: 'Project', text: event.app.project ?? 'unknown', href: null },
    { label: 'Destination', text: destinationText(alert), href: null },
  ];
  for (const r of revisionViews(event)) rows.push({ label: 'Revision', text: r.short, href: r.url });
  rows.push({ label: 'Initiated by', text: initiatedByText(alert), href: null });
  const attempt = attemptText(alert);
  if (attempt !== null) rows.push({ label: 'Attempt', text: `${attempt}${event.kind === 'hook-retrying' ? ' (Argo CD retries)' : ''}`, href: null });
  return rows;
}

function argoUrl(alert: Alert): string | null {
  const { event } = alert;
  if (event.argocdUrl === null) return null;
  const url = argocdAppUrl(event.argocdUrl, event.app.namespace, event.app.name);
  return isSafeUrl(url) ? url : null;
}

function renderText(alert: Alert, facts: readonly HookFacts[], subject: string, logs: boolean): string {
  const { event } = alert;
  const out = [subject, ''];
  if (event.operation?.message != null) out.push(`Argo CD: ${event.operation.message}`, '');
  const [top, ...others] = alert.findings;
  if (top !== undefined) {
    out.push(`Diagnosis: ${top.title}`);
    if (top.evidence !== null) out.push(`  Evidence: ${top.evidence}`);
    out.push(`  Next step: ${top.hint}`);
    if (top.docs !== null) out.push(`  Docs: ${top.docs}`);
    if (others.length > 0) out.push(`  Also: ${others.map((f) => f.title).join('; ')}`);
    out.push('');
  }
  for (const row of detailRows(alert)) out.push(`${`${row.label}:`.padEnd(14)}${row.text}${row.href === null ? '' : ` (${row.href})`}`);
  for (const f of facts) {
    out.push('', `== ${hookTitle(f)}`);
    const details = hookDetails(f);
    if (details.length > 0) out.push(details.join(' · '));
    if (f.pod !== null) out.push(`pod ${f.pod}${f.container === null ? '' : `, container ${f.container}`}`);
    if (f.hook.message !== null && f.hook.message !== '') out.push(`Argo CD: ${f.hook.message}`);
    if (!logs) {
      if (f.logs.length > 0) out.push('(log body left out by this route, logs: false; read it with kubectl logs)');
    } else {
      for (const log of f.logs) {
        const tail = logTail(log.text);
        out.push('', `-- log of ${logLabel(log)}${tail.cut ? ` (end; the whole log is attached as ${log.fileName})` : ''}`);
        out.push(tail.text);
      }
    }
    for (const m of f.missing) out.push(`! ${m}`);
  }
  const omitted = omittedHooksText(alert);
  if (omitted !== null) out.push('', omitted);
  for (const note of alert.report?.notes ?? []) out.push('', `Note: ${note}`);
  const url = argoUrl(alert);
  if (url !== null) out.push('', `Open in Argo CD: ${url}`);
  const seenBy = seenByText(alert);
  out.push('', `Incident ${alert.incidentId} · received ${event.receivedAt}${seenBy === null ? '' : ` · ${seenBy}`}`);
  return `${out.join('\n')}\n`;
}

const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const MONO = "font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace";

function link(href: string, text: string): string {
  return `<a href="${escapeHtml(href)}" style="color:#1d4ed8">${escapeHtml(text)}</a>`;
}

function renderHtml(alert: Alert, facts: readonly HookFacts[], subject: string, logs: boolean): string {
  const { event } = alert;
  const color = KIND_COLORS[event.kind];
  const h: string[] = [];
  h.push(`<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>`);
  h.push(`<body style="margin:0;padding:16px;background:#f6f7f9;${FONT};color:#111827;font-size:14px;line-height:1.45">`);
  h.push(`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:760px;margin:0 auto;background:#ffffff;border:1px solid #e5e7eb;border-radius:6px">`);
  h.push(`<tr><td style="padding:14px 18px;border-top:4px solid ${color}">`);
  h.push(`<h1 style="margin:0 0 8px;font-size:18px;color:${color}">${escapeHtml(subject)}</h1>`);
  if (event.operation?.message != null) h.push(`<p style="margin:0 0 12px">Argo CD: ${escapeHtml(event.operation.message)}</p>`);
  const [top, ...others] = alert.findings;
  if (top !== undefined) {
    h.push(`<div style="margin:0 0 12px;padding:10px 12px;background:#fff7ed;border-left:4px solid #f59e0b">`);
    h.push(`<p style="margin:0 0 4px"><strong>Diagnosis: ${escapeHtml(top.title)}</strong></p>`);
    if (top.evidence !== null) h.push(`<p style="margin:0 0 4px;${MONO};font-size:12px">${escapeHtml(top.evidence)}</p>`);
    h.push(`<p style="margin:0"><strong>Next step:</strong> ${escapeHtml(top.hint)}</p>`);
    if (top.docs !== null && isSafeUrl(top.docs)) h.push(`<p style="margin:4px 0 0">${link(top.docs, 'Docs')}</p>`);
    if (others.length > 0) h.push(`<p style="margin:4px 0 0;color:#6b7280">Also: ${others.map((f) => escapeHtml(f.title)).join('; ')}</p>`);
    h.push('</div>');
  }
  h.push(`<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 12px;font-size:13px">`);
  for (const row of detailRows(alert)) {
    const value = row.href === null ? escapeHtml(row.text) : link(row.href, row.text);
    h.push(`<tr><td style="padding:2px 16px 2px 0;color:#6b7280;white-space:nowrap;vertical-align:top">${escapeHtml(row.label)}</td><td style="padding:2px 0">${value}</td></tr>`);
  }
  h.push('</table>');
  for (const f of facts) {
    h.push(`<h2 style="margin:16px 0 4px;font-size:15px">${escapeHtml(hookTitle(f))}</h2>`);
    const details = hookDetails(f);
    if (details.length > 0) h.push(`<p style="margin:0 0 4px">${escapeHtml(details.join(' · '))}</p>`);
    if (f.pod !== null) h.push(`<p style="margin:0 0 4px;color:#374151">pod ${escapeHtml(f.pod)}${f.container === null ? '' : `, container ${escapeHtml(f.container)}`}</p>`);
    if (f.hook.message !== null && f.hook.message !== '') h.push(`<p style="margin:0 0 4px;color:#374151">Argo CD: ${escapeHtml(f.hook.message)}</p>`);
    if (!logs) {
      if (f.logs.length > 0) h.push(`<p style="margin:4px 0;color:#6b7280">Log body left out by this route (logs: false); read it with kubectl logs.</p>`);
    } else {
      for (const log of f.logs) {
        const tail = logTail(log.text);
        h.push(`<p style="margin:8px 0 2px;color:#6b7280;font-size:12px">Log of ${escapeHtml(logLabel(log))}${tail.cut ? ` (end; the whole log is attached as ${escapeHtml(log.fileName)})` : ''}</p>`);
        h.push(`<pre style="margin:0;padding:8px 10px;background:#0f172a;color:#e2e8f0;${MONO};font-size:12px;line-height:1.4;white-space:pre-wrap;word-break:break-all;border-radius:4px">${escapeHtml(tail.text)}</pre>`);
      }
    }
    if (f.missing.length > 0) {
      h.push(`<ul style="margin:6px 0;padding-left:18px;color:#b54708">${f.missing.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul>`);
    }
  }
  const omitted = omittedHooksText(alert);
  if (omitted !== null) h.push(`<p style="margin:12px 0 0;color:#374151">${escapeHtml(omitted)}</p>`);
  for (const note of alert.report?.notes ?? []) h.push(`<p style="margin:8px 0 0;color:#6b7280">Note: ${escapeHtml(note)}</p>`);
  const url = argoUrl(alert);
  if (url !== null) {
    h.push(`<p style="margin:16px 0 4px"><a href="${escapeHtml(url)}" style="display:inline-block;padding:8px 14px;background:#1d4ed8;color:#ffffff;text-decoration:none;border-radius:4px">Open in Argo CD</a></p>`);
  }
  const seenBy = seenByText(alert);
  h.push(`<p style="margin:12px 0 0;color:#9ca3af;font-size:12px">Incident ${escapeHtml(alert.incidentId)} · received ${escapeHtml(event.receivedAt)}${seenBy === null ? '' : ` · ${escapeHtml(seenBy)}`} · sent by argocd-hook-alerts</p>`);
  h.push('</td></tr></table></body></html>');
  return `${h.join('\n')}\n`;
}

/**
 * Render an alert as an email (nodemailer message options), a pure function: subject such as
 * `[FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)`, text and HTML
 * alternatives (escaped, inline styles, no external assets), each whole scrubbed log attached as `.log`,
 * and Message-ID / In-Reply-To / References so that updates thread under the incident's first mail.
 */
export function renderEmail(given: Alert, opts: EmailRenderOptions): Mail.Options {
  const alert = withVisibleText(given);
  const facts = alert.event.kind === 'sync-succeeded' ? [] : hookFacts(alert);
  const subject = subjectLine(alert, facts);
  const logs = opts.logs ?? true;
  const root = opts.threadRootRef ?? null;
  const messageId = emailMessageId(alert, opts.from);
  const replying = root !== null && root !== messageId;
  const attachments: Mail.Attachment[] = logs
    ? facts.flatMap((f) => f.logs).map((log) => ({ filename: log.fileName, content: log.text, contentType: 'text/plain; charset=utf-8' }))
    : [];
  return {
    from: opts.from,
    to: opts.to,
    subject,
    messageId,
    ...(replying ? { inReplyTo: root, references: [root] } : {}),
    headers: {
      'X-Hook-Alerts-Incident': alert.incidentId,
      'X-Hook-Alerts-Kind': alert.deliveryKind,
      // RFC 3834: keeps vacation responders from answering an alert.
      'Auto-Submitted': 'auto-generated',
    },
    text: renderText(alert, facts, subject, logs),
    html: renderHtml(alert, facts, subject, logs),
    attachments,
  };
}
