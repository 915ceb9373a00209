import type { Alert } from './alert.js';
import type { HookRef } from '../intake/hook-event.js';

const KIND_TITLES = {
  'hook-failed': 'FAILED',
  'hook-retrying': 'RETRYING',
  'hook-stuck': 'STUCK',
  'sync-succeeded': 'RESOLVED',
} as const;

function hookLine(h: HookRef): string {
  const where = h.namespace === null ? h.name : `${h.namespace}/${h.name}`;
  const phase = h.hookPhase ?? 'unknown phase';
  return `${h.hookType} hook ${h.kind} ${where}: ${phase}${h.message === null ? '' : ` - ${h.message}`}`;
}

/** One-line subject: `[FAILED] payments-api: PreSync hook Job db-migrate failed`. */
export function renderSubject(alert: Alert): string {
  const { event } = alert;
  const first = event.hooks[0];
  const what =
    event.kind === 'sync-succeeded'
      ? 'sync succeeded, incident resolved'
      : first === undefined
        ? `sync ${event.operation?.phase ?? 'event'}`
        : `${first.hookType} hook ${first.name} ${event.kind === 'hook-stuck' ? 'is stuck' : event.kind === 'hook-retrying' ? 'failed, Argo CD retries' : 'failed'}${event.hooks.length > 1 ? ` (+${event.hooks.length - 1} more)` : ''}`;
  return `[${KIND_TITLES[event.kind]}] ${event.app.name}: ${what}`;
}

/** Plain-text rendering of an alert: every field an on-call engineer needs, no markup. */
export function renderAlertText(alert: Alert): string {
  const { event } = alert;
  const op = event.operation;
  const lines = [renderSubject(alert), ''];
  lines.push(`Application: ${event.app.namespace}/${event.app.name} (project ${event.app.project ?? 'unknown'})`);
  const dest = event.destination;
  lines.push(`Destination: ${dest.server ?? dest.name ?? 'unknown'} namespace ${dest.namespace ?? 'unknown'}`);
  if (event.revisions.length > 0) lines.push(`Revision: ${event.revisions.join(', ')}`);
  if (op !== null) {
    const by = op.initiatedBy.automated ? 'automated sync' : (op.initiatedBy.username ?? 'unknown');
    lines.push(`Operation: ${op.phase}, started ${op.startedAt}${op.finishedAt === null ? '' : `, finished ${op.finishedAt}`}, initiated by ${by}`);
    if (op.retryCount > 0 || op.retryLimit !== null) {
      lines.push(`Attempt: ${op.retryCount + 1}${op.retryLimit === null ? '' : ` of ${op.retryLimit + 1}`}`);
    }
    if (op.message !== null) lines.push(`Message: ${op.message}`);
  }
  for (const finding of alert.findings.slice(0, 1)) {
    lines.push('', `Diagnosis: ${finding.title}`);
    if (finding.evidence !== null) lines.push(`  Evidence: ${finding.evidence}`);
    lines.push(`  Next step: ${finding.hint}`);
  }
  if (event.hooks.length > 0) lines.push('', 'Hooks:');
  for (const h of event.hooks) lines.push(`  - ${hookLine(h)}`);
  for (const report of alert.report?.hooks ?? []) {
    for (const pod of report.pods) {
      for (const c of pod.containers) {
        const state = c.current;
        lines.push(
          '',
          `Pod ${pod.name} container ${c.name}${c.init ? ' (init)' : ''}: ${state.state}${state.reason === null ? '' : ` ${state.reason}`}${state.exitCode === null ? '' : ` exit ${state.exitCode}`}`,
        );
        if (c.log !== null && c.log.text !== '') lines.push(c.log.text.trimEnd());
        else if (c.logUnavailable !== null) lines.push(`(logs unavailable: ${c.logUnavailable})`);
      }
    }
    for (const missing of report.missing) lines.push(`(${missing})`);
  }
  for (const note of alert.report?.notes ?? []) lines.push(`Note: ${note}`);
  if (event.argocdUrl !== null) {
    lines.push('', `Open in Argo CD: ${argocdAppUrl(event.argocdUrl, event.app.namespace, event.app.name)}`);
  }
  lines.push(`Incident: ${alert.incidentId}`);
  return lines.join('\n');
}

/** Link to the app's operation view in the Argo CD UI. */
export function argocdAppUrl(base: string, namespace: string, name: string): string {
  return `${base.replace(/\/+$/, '')}/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}?operation=true`;
}
