import type { HookEvent, HookRef } from '../model/hook-event.js';
import type { JobInfo, JobReport } from '../model/job-report.js';

/**
 * What is missing from a Job hook's report and why, decided from what the cluster reads found: pure, so
 * that every case (deleted by Argo CD, by the TTL controller, pods garbage-collected, capture off...) is a
 * table row in a unit test rather than a cluster set-up.
 */

/** Label values of hook_alerts_enrich_partial_total{what} (beside the worker's 'all'). */
export const MISSING_WHATS = ['cluster', 'job', 'pods', 'logs', 'events'] as const;
export type MissingWhat = (typeof MISSING_WHATS)[number];

/** One sentence of a report's `missing`: a gap counted under `what`, or context for the reader (`what` null). */
export interface Gap {
  what: MissingWhat | null;
  sentence: string;
}

/** What the reads of one Job hook found. */
export interface JobHookReads {
  hook: HookRef;
  event: HookEvent;
  namespace: string;
  /** The live Job's failed and succeeded pod counts; null when it was not found or could not be read. */
  liveJob: { failed: number; succeeded: number } | null;
  /** Reading the Job failed (the failure has its own sentence already). */
  jobReadFailed: boolean;
  /** Pods of the Job the cluster listed. */
  livePods: number;
  podsReadFailed: boolean;
  /** Pods shown from captures, and when the newest of them was captured. */
  capturedPods: number;
  capturedAt: string | null;
  /** The Job as the cluster or a capture knew it. */
  jobInfo: JobInfo | null;
  captureEnabled: boolean;
}

/** Who deleted a Job that is gone, as precisely as the evidence allows (docs/design.md, "Say why logs are missing"). */
export function deletionCause(job: JobInfo | null, hook: HookRef, event: HookEvent): string {
  const terminated = hook.message === 'Terminated' || /operation terminated/i.test(event.operation?.message ?? '');
  // Ended in Error with the hook cut off: Argo CD deleted it because the operation failed (render/hook-facts.ts terminationCause).
  if (terminated && event.operation?.phase === 'Error' && event.operation.message != null) {
    return `Argo CD when the sync stopped with an error ("${event.operation.message}")`;
  }
  if (terminated) return 'Argo CD when the sync was terminated';
  const policy = job?.deletePolicy ?? '';
  if (policy.includes('HookFailed')) return 'Argo CD (hook-delete-policy HookFailed)';
  if (job?.ttlSecondsAfterFinished != null) return `the TTL controller (ttlSecondsAfterFinished: ${job.ttlSecondsAfterFinished})`;
  if (event.kind === 'hook-retrying' || policy.includes('BeforeHookCreation')) {
    return 'Argo CD, recreating it for the next attempt (hook-delete-policy BeforeHookCreation)';
  }
  if (policy.includes('HookSucceeded')) return 'something other than Argo CD (its hook-delete-policy HookSucceeded keeps failed Jobs)';
  return 'Argo CD (most likely hook-delete-policy HookFailed)';
}

/** The sentences that explain a Job hook's missing Job, pods or logs. */
export function explainJobHookGaps(r: JobHookReads): Gap[] {
  const jobRef = `Job ${r.namespace}/${r.hook.name}`;
  const gaps: Gap[] = [];
  if (r.liveJob === null && !r.jobReadFailed) {
    const cause = deletionCause(r.jobInfo, r.hook, r.event);
    if (r.capturedPods > 0) {
      gaps.push({ what: null, sentence: `captured at ${r.capturedAt ?? '?'}, the Job was deleted by ${cause}` });
    } else if (r.livePods === 0 && !r.podsReadFailed) {
      const hint = r.captureEnabled
        ? ` (the capture watcher did not see its pods: the service was not running then, or it cannot watch pods in namespace ${r.namespace})`
        : ': turn on kubernetes.capture.enabled to keep the logs of hook pods before Argo CD deletes them';
      gaps.push({ what: 'logs', sentence: `logs unavailable: pods deleted by ${cause} and no capture${hint}` });
    } else if (r.livePods > 0) {
      gaps.push({ what: null, sentence: `${jobRef} no longer exists (deleted by ${cause}); its pods are still there` });
    }
  } else if (r.liveJob !== null) {
    if (r.capturedPods > 0) {
      gaps.push({
        what: null,
        sentence: `${r.capturedPods} pod(s) of earlier attempts shown from captures (newest captured at ${r.capturedAt ?? '?'}): Argo CD deleted and recreated the Job for the retry`,
      });
    }
    if (r.livePods === 0 && r.capturedPods === 0 && !r.podsReadFailed) {
      gaps.push({
        what: 'pods',
        sentence:
          r.liveJob.failed > 0 || r.liveJob.succeeded > 0
            ? `no pods found for ${jobRef}: they were deleted (pod garbage collection or by hand) and no capture exists`
            : `no pods found for ${jobRef}: the Job has not created any yet`,
      });
    }
  }
  return gaps;
}

/** Where a Job hook's report came from: the cluster, captures, or nowhere. */
export function jobHookSource(r: Pick<JobHookReads, 'liveJob' | 'livePods' | 'capturedPods' | 'jobInfo'>): JobReport['source'] {
  if (r.liveJob !== null || r.livePods > 0) return 'live';
  return r.capturedPods > 0 || r.jobInfo !== null ? 'capture' : 'none';
}
