import type { Alert } from '../model/alert.js';
import type { EventKind } from '../model/contract-v1.js';
import { failureSummary, terminationCause, type HookFacts } from './hook-facts.js';

/** The tag of each event kind in subjects and headers. */
const KIND_TAGS: Record<EventKind, string> = {
  'hook-failed': 'FAILED',
  'hook-retrying': 'RETRYING',
  'hook-stuck': 'STUCK',
  'sync-succeeded': 'RESOLVED',
};

/** Slack emoji shortcode of each event kind. */
export const KIND_EMOJI: Record<EventKind, string> = {
  'hook-failed': ':red_circle:',
  'hook-retrying': ':large_orange_circle:',
  'hook-stuck': ':hourglass_flowing_sand:',
  'sync-succeeded': ':white_check_mark:',
};

/**
 * What happened, without the app: `PreSync hook db-migrate failed`, `... failed, Argo CD retries`,
 * `... is stuck`, `sync succeeded, incident resolved`. With `details`, the first hook's
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
  if (event.kind === 'hook-retrying') return `${hook} failed${paren}${more}, Argo CD retries`;
  return `${hook} failed${paren}${more}`;
}

/** `[FAILED] payments-api: PreSync hook db-migrate failed (exit 1, BackoffLimitExceeded)`. */
export function subjectLine(alert: Alert, facts: readonly HookFacts[]): string {
  return `[${KIND_TAGS[alert.event.kind]}] ${alert.event.app.name}: ${whatHappened(alert, facts, true)}`;
}
