import type { Alert } from '../model/alert.js';
import type { HookEventKind } from '../model/hook-event.js';
import { failureSummary, terminationCause, type HookFacts } from './hook-facts.js';

/** The tag of each event kind in subjects and headers. */
const KIND_TAGS: Record<HookEventKind, string> = {
  'hook-failed': 'FAILED',
  'hook-retrying': 'RETRYING',
  'hook-stuck': 'STUCK',
  'hook-blocked': 'BLOCKED',
  'hook-skipped': 'SKIPPED',
  'sync-succeeded': 'RESOLVED',
};

/** Slack emoji shortcode of each event kind. */
export const KIND_EMOJI: Record<HookEventKind, string> = {
  'hook-failed': ':red_circle:',
  'hook-retrying': ':large_orange_circle:',
  'hook-stuck': ':hourglass_flowing_sand:',
  'hook-blocked': ':no_entry:',
  'hook-skipped': ':warning:',
  'sync-succeeded': ':white_check_mark:',
};

/**
 * What happened, without the app: `PreSync hook db-migrate failed`, `... failed, Argo CD retries`,
 * `... is stuck`, `... cannot start (ImagePullBackOff)`, `... did not run in this sync`,
 * `sync succeeded, incident resolved`. With `details`, the first hook's
 * exit code and reason follow in parentheses.
 */
function whatHappened(alert: Alert, facts: readonly HookFacts[], details: boolean): string {
  const { event } = alert;
  if (event.kind === 'sync-succeeded') return 'sync succeeded, incident resolved';
  const first = facts[0];
  if (first === undefined) return `sync ${event.operation?.phase ?? 'event'}`;
  // Counted on the event: the facts cover only the hooks shown.
  const total = Math.max(facts.length, event.hooks.length);
  const more = total > 1 ? ` (+${total - 1} more)` : '';
  const summary = details ? failureSummary(first) : '';
  const paren = summary === '' ? '' : ` (${summary})`;
  const hook = `${first.hook.hookType} hook ${first.hook.name}`;
  // The hooks were cut off because the operation failed: its message is the news, not "Terminated".
  const cause = terminationCause(alert);
  if (cause !== null) return `${cause} (${hook} terminated${more})`;
  if (event.kind === 'hook-stuck') return `${hook} is stuck${more}`;
  if (event.kind === 'hook-blocked') return `${hook} cannot start${first.containerReason === null ? '' : ` (${first.containerReason})`}${more}`;
  if (event.kind === 'hook-skipped') return `${hook} did not run in this sync${more}`;
  // Raised by the service while other hooks keep the operation Running (Argo CD notifies when they end).
  if (event.kind === 'hook-failed' && event.operation?.phase === 'Running') return `${hook} failed${paren}${more}, sync still running`;
  if (event.kind === 'hook-retrying') return `${hook} failed${paren}${more}, Argo CD retries`;
  return `${hook} failed${paren}${more}`;
}

/** `[FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)`. */
export function subjectLine(alert: Alert, facts: readonly HookFacts[]): string {
  return `[${KIND_TAGS[alert.event.kind]}] ${alert.event.app.name}: ${whatHappened(alert, facts, true)}`;
}
