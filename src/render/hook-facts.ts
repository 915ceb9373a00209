import type { Alert } from '../model/alert.js';
import type { HookRef } from '../model/hook-event.js';
import type { ContainerReport, JobReport, PodReport } from '../model/job-report.js';
import { MAX_HOOK_RESOURCES } from '../model/contract-v1.js';

/** One container's log as the renderers show and attach it. */
export interface ContainerLog {
  pod: string;
  container: string;
  init: boolean;
  /** The log of the container's previous (terminated) run. */
  previous: boolean;
  /** Scrubbed text, as bounded by enrichment. */
  text: string;
  /** Enrichment already cut it (tail lines or byte cap). */
  truncated: boolean;
  /** When the log was captured, for a pod that no longer exists; null for a live read. */
  capturedAt: string | null;
  /** File name for the attachment / Slack upload: `<pod>_<container>.log`. */
  fileName: string;
}

/** What the renderers say about one failed (or stuck) hook, from the event and the JobReport if any. */
export interface HookFacts {
  hook: HookRef;
  report: JobReport | null;
  /** The Job's failure reason (BackoffLimitExceeded, DeadlineExceeded), else the container's. */
  reason: string | null;
  /** The failing container's own reason (OOMKilled, Error, ImagePullBackOff, ...). */
  containerReason: string | null;
  exitCode: number | null;
  durationSeconds: number | null;
  pod: string | null;
  container: string | null;
  logs: ContainerLog[];
  /** Why something is missing (logs gone, RBAC, ...), one sentence each. */
  missing: string[];
  /**
   * The hook's images as Argo CD recorded them (`syncResult.resources[].images`, Argo CD 3.1+), when the Job
   * could not be read: then they are the only record of what ran. Empty when the Job was read.
   */
  images: string[];
}

// Argo CD copies the Job's failed condition message into the hook's message; without a JobReport this is
// how the reason is known (k8s.io/kubernetes pkg/controller/job: BackoffLimitExceeded, DeadlineExceeded).
const MESSAGE_REASONS: [RegExp, string][] = [
  [/backoff limit/i, 'BackoffLimitExceeded'],
  [/active longer than specified deadline/i, 'DeadlineExceeded'],
  [/^Terminated$/, 'Terminated'],
];

function reasonFromMessage(message: string | null): string | null {
  if (message === null) return null;
  return MESSAGE_REASONS.find(([re]) => re.test(message))?.[1] ?? null;
}

function jobReason(report: JobReport | null): string | null {
  const failed = report?.job?.conditions.find((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True');
  return failed?.reason ?? null;
}

function failedState(c: ContainerReport): { reason: string | null; exitCode: number | null; startedAt: string | null; finishedAt: string | null } | null {
  const cur = c.current;
  if (cur.state === 'terminated' && cur.exitCode !== 0) return cur;
  if (cur.state === 'waiting' && cur.reason !== null && cur.reason !== 'PodInitializing' && cur.reason !== 'ContainerCreating') {
    // A crash-looping container waits in CrashLoopBackOff; its last run says why.
    const last = c.lastTermination;
    if (last !== null && last.exitCode !== 0) return { ...last, reason: last.reason ?? cur.reason };
    return cur;
  }
  if (c.lastTermination !== null && c.lastTermination.exitCode !== null && c.lastTermination.exitCode !== 0) return c.lastTermination;
  return null;
}

function failingContainer(pods: readonly PodReport[]): { pod: PodReport; container: ContainerReport } | null {
  // Enrichment lists pods newest failed first; within a pod, init containers come first, as they run.
  for (const pod of pods) {
    for (const container of pod.containers) {
      if (failedState(container) !== null) return { pod, container };
    }
  }
  return null;
}

function seconds(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

function safeFilePart(text: string): string {
  return text.replace(/[^\w.-]+/g, '_');
}

function reportFor(alert: Alert, hook: HookRef): JobReport | null {
  return (
    alert.report?.hooks.find(
      (r) => r.hook.name === hook.name && r.hook.kind === hook.kind && (r.hook.namespace ?? null) === (hook.namespace ?? null),
    ) ?? null
  );
}

/** Hooks shown when none or few were enriched. */
const HOOKS_SHOWN = 10;
/** Hooks shown at most: every one enrichment read (kubernetes.bounds.maxHooksPerEvent allows up to 20). */
export const MAX_HOOKS_SHOWN = 20;
/** Room for the names of the hooks not shown: the alert stays bounded whatever the sync listed. */
const OMITTED_NAMES_CHARS = 1_000;

function shownHooks(alert: Alert): number {
  return Math.min(MAX_HOOKS_SHOWN, Math.max(HOOKS_SHOWN, alert.report?.hooks.length ?? 0));
}

/**
 * The hooks beyond those shown, in one sentence: how many, and as many names as fit in ~1,000
 * characters (a sync listed 14,000 failed hooks once). null when every hook is shown.
 */
export function omittedHooksText(alert: Alert): string | null {
  const all = alert.event.hooks;
  const rest = all.slice(shownHooks(alert));
  if (rest.length === 0) return null;
  const names: string[] = [];
  let chars = 0;
  for (const h of rest) {
    const name = `${h.namespace === null ? '' : `${h.namespace}/`}${h.name}`;
    if (chars + name.length > OMITTED_NAMES_CHARS) break;
    names.push(name);
    chars += name.length + 2;
  }
  const unnamed = rest.length - names.length;
  // Intake keeps at most MAX_HOOK_RESOURCES hooks of a body: at exactly that many, the webhook may have listed more.
  const total = all.length === MAX_HOOK_RESOURCES ? `${all.length} read from the webhook, the most intake keeps; it may list more` : `${all.length} in all`;
  return `${rest.length} more failed hook${rest.length === 1 ? '' : 's'} not shown (${total}): ${names.join(', ')}${unnamed > 0 ? ` and ${unnamed} more` : ''}; Argo CD lists them all.`;
}

/** Facts for each hook shown (the first 10, or as many as enrichment read, up to 20), in the event's order. */
export function hookFacts(alert: Alert): HookFacts[] {
  return alert.event.hooks.slice(0, shownHooks(alert)).map((hook): HookFacts => {
    const report = reportFor(alert, hook);
    const failing = failingContainer(report?.pods ?? []);
    const state = failing === null ? null : failedState(failing.container);
    const logs: ContainerLog[] = [];
    const missing = [...(report?.missing ?? [])];
    for (const pod of report?.pods ?? []) {
      for (const c of pod.containers) {
        if (c.log !== null && c.log.text !== '') {
          logs.push({
            pod: pod.name,
            container: c.name,
            init: c.init,
            previous: c.log.previous,
            text: c.log.text,
            truncated: c.log.truncated,
            capturedAt: pod.capturedAt ?? null,
            fileName: `${safeFilePart(pod.name)}_${safeFilePart(c.name)}${c.log.previous ? '_previous' : ''}.log`,
          });
        } else if (c.logUnavailable !== null) {
          missing.push(`logs of ${pod.name}/${c.name} unavailable: ${c.logUnavailable}`);
        }
      }
    }
    // The failing container's log first: it is the one the reader wants.
    if (failing !== null) {
      logs.sort((a, b) => Number(b.pod === failing.pod.name && b.container === failing.container.name) - Number(a.pod === failing.pod.name && a.container === failing.container.name));
    }
    return {
      hook,
      report,
      reason: jobReason(report) ?? reasonFromMessage(hook.message) ?? state?.reason ?? null,
      containerReason: state?.reason ?? null,
      exitCode: state?.exitCode ?? null,
      durationSeconds: report?.job?.durationSeconds ?? seconds(state?.startedAt ?? null, state?.finishedAt ?? null),
      pod: failing?.pod.name ?? null,
      container: failing?.container.name ?? null,
      logs,
      missing,
      images: report?.job == null ? hook.images : [],
    };
  });
}

/** `db-migrate-x7k2p/migrate (init) (previous run) (captured 2026-…)`: whose log this is. */
export function logLabel(log: ContainerLog): string {
  const parts = [`${log.pod}/${log.container}`];
  if (log.init) parts.push('(init)');
  if (log.previous) parts.push('(previous run)');
  if (log.capturedAt !== null) parts.push(`(captured ${log.capturedAt}, the pod is gone)`);
  return parts.join(' ');
}

/** `1m 05s`, `42s`, `1h 02m`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `exit 1, BackoffLimitExceeded` (the parenthesized part of a subject), or '' when nothing is known. */
export function failureSummary(facts: HookFacts): string {
  const parts: string[] = [];
  if (facts.exitCode !== null) parts.push(`exit ${facts.exitCode}`);
  if (facts.containerReason !== null && facts.containerReason !== 'Error' && facts.containerReason !== facts.reason) parts.push(facts.containerReason);
  if (facts.reason !== null) parts.push(facts.reason);
  return parts.join(', ');
}

/**
 * "attempt 1 of 3": the attempt that failed. Argo CD counts retries: while it retries (`hook-retrying`,
 * "Retrying attempt #N") retryCount N means attempt N failed and retry N is next; once it gives up,
 * retryCount retries plus the first attempt have failed. null when Argo CD does not retry this app, and
 * for a successful sync.
 */
export function attemptText(alert: Alert): string | null {
  const op = alert.event.operation;
  if (op === null || alert.event.kind === 'sync-succeeded' || (op.retryCount === 0 && op.retryLimit === null)) return null;
  const failed = alert.event.kind === 'hook-retrying' ? Math.max(1, op.retryCount) : op.retryCount + 1;
  return `attempt ${failed}${op.retryLimit === null ? '' : ` of ${op.retryLimit + 1}`}`;
}

/**
 * The operation's own message when it, not the hooks, is why they failed: the operation ended in Error
 * and every hook of the event was cut off as `Terminated` (gitops-engine terminateHooksPreemptively, e.g.
 * after "SyncWaveHook failed: …"; argo-cd v3.5.1 gitops-engine/pkg/sync/sync_context.go). A user's
 * Terminate or the sync timeout ends in Failed, "Operation terminated", and is not this. null otherwise.
 */
export function terminationCause(alert: Alert): string | null {
  const op = alert.event.operation;
  const hooks = alert.event.hooks;
  if (op?.phase !== 'Error' || op.message == null || op.message === '' || hooks.length === 0) return null;
  return hooks.every((h) => h.message === 'Terminated') ? op.message : null;
}

/** Who started the operation: a user name or "automated sync". */
export function initiatedByText(alert: Alert): string {
  const by = alert.event.operation?.initiatedBy;
  if (by === undefined) return 'unknown';
  if (by.automated) return 'automated sync';
  return by.username ?? 'unknown';
}

/** `https://kubernetes.default.svc / payments`. */
export function destinationText(alert: Alert): string {
  const d = alert.event.destination;
  return `${d.server ?? d.name ?? 'unknown cluster'} / ${d.namespace ?? 'default namespace'}`;
}

/**
 * Which path saw the failure first, when the Application backstop runs beside the webhook (docs/design.md,
 * "The Application backstop"); null when only the webhook runs, so that nothing is said then.
 */
export function seenByText(alert: Alert): string | null {
  switch (alert.event.seenBy) {
    case 'webhook':
      return "seen first by Argo CD's webhook";
    case 'watch':
      return "seen first by the Application watch: Argo CD's webhook had not delivered it";
    case undefined:
      return null;
  }
}
