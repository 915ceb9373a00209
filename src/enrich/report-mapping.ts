import type { ContainerReport, ContainerState, EventReport, JobInfo, LogTail, PodReport } from '../model/job-report.js';
import { explicitDeletePolicies } from '../model/hook-annotations.js';
import {
  type KubeContainerStatus,
  type KubeEvent,
  type KubeJob,
  type KubePod,
} from '../kube/kube-objects.js';
import type { RawLog } from '../kube/kube-client.js';
import type { Scrubber } from '../scrub/scrub.js';

/**
 * Pure mapping from Kubernetes objects (as parsed by kube-objects.ts) to the report schema: no I/O, so the
 * same code serves live enrichment, captures and tests.
 */

type StateDetail = KubeContainerStatus['state'];

function toState(detail: StateDetail): ContainerState {
  const empty = { exitCode: null, signal: null, reason: null, message: null, startedAt: null, finishedAt: null };
  if (detail?.terminated != null) {
    const t = detail.terminated;
    return {
      state: 'terminated',
      exitCode: t.exitCode,
      signal: t.signal,
      reason: t.reason,
      message: t.message,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
    };
  }
  if (detail?.waiting != null) return { ...empty, state: 'waiting', reason: detail.waiting.reason, message: detail.waiting.message };
  if (detail?.running != null) return { ...empty, state: 'running', startedAt: detail.running.startedAt };
  return { ...empty, state: 'unknown' };
}

function containerReports(pod: KubePod, init: boolean): ContainerReport[] {
  const specs = (init ? pod.spec?.initContainers : pod.spec?.containers) ?? [];
  const statuses = (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? [];
  const names = [...specs.map((s) => s.name), ...statuses.map((s) => s.name).filter((n) => !specs.some((s) => s.name === n))];
  return names.map((name) => {
    const spec = specs.find((s) => s.name === name);
    const status = statuses.find((s) => s.name === name);
    const limits = spec?.resources?.limits ?? {};
    return {
      name,
      init,
      image: spec?.image ?? status?.image ?? null,
      restartCount: status?.restartCount ?? 0,
      current: toState(status?.state),
      lastTermination: status?.lastState?.terminated == null ? null : toState({ terminated: status.lastState.terminated }),
      limits: { memory: limits.memory ?? null, cpu: limits.cpu ?? null },
      log: null,
      logUnavailable: null,
    };
  });
}

/** A pod's report without logs: phase, scheduling, init and app container states and limits. */
export function toPodReport(pod: KubePod): PodReport {
  const scheduled = pod.status?.conditions.find((c) => c.type === 'PodScheduled');
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? '',
    uid: pod.metadata.uid,
    phase: pod.status?.phase ?? null,
    reason: pod.status?.reason ?? null,
    message: pod.status?.message ?? null,
    nodeName: pod.spec?.nodeName ?? null,
    createdAt: pod.metadata.creationTimestamp,
    startedAt: pod.status?.startTime ?? null,
    deletedAt: pod.metadata.deletionTimestamp,
    unschedulable:
      scheduled !== undefined && scheduled.status === 'False'
        ? [scheduled.reason, scheduled.message].filter((s) => s != null && s !== '').join(': ') || 'not scheduled'
        : null,
    containers: [...containerReports(pod, true), ...containerReports(pod, false)],
  };
}

/** Which log to read for a container: its current run, its previous run, or none and why. */
export type LogPlan = { previous: boolean } | { unavailable: string };

/** Decide the log read for a container (docs/design.md, "Enrichment bounds": previous logs when restarted). */
export function planLogRead(c: ContainerReport): LogPlan {
  const { current } = c;
  if (current.state === 'terminated' || current.state === 'running') return { previous: false };
  // Waiting after a run (CrashLoopBackOff, restart backoff): the failure is in the previous run's log.
  if (c.lastTermination !== null) return { previous: true };
  if (current.state === 'waiting') {
    if (current.reason === 'PodInitializing') return { unavailable: 'did not start: an earlier init container has not completed' };
    const why = [current.reason, current.message].filter((s) => s != null && s !== '').join(': ');
    return { unavailable: `container never started${why === '' ? '' : `: ${why}`}` };
  }
  return { unavailable: 'container has no status yet: the pod was not started on a node' };
}

/** True when the pod failed or one of its containers ended non-zero or cannot start. */
export function isPodFailed(p: PodReport): boolean {
  if (p.phase === 'Failed') return true;
  return p.containers.some(
    (c) =>
      (c.current.state === 'terminated' && c.current.exitCode !== 0) ||
      (c.lastTermination !== null && c.lastTermination.exitCode !== 0) ||
      (c.current.state === 'waiting' && c.current.reason !== null && !['ContainerCreating', 'PodInitializing'].includes(c.current.reason)),
  );
}

/** Order: newest failed pods first, then the others newest first (docs/design.md, "Enrichment bounds"). */
export function comparePods(a: PodReport, b: PodReport): number {
  const fa = isPodFailed(a) ? 0 : 1;
  const fb = isPodFailed(b) ? 0 : 1;
  if (fa !== fb) return fa - fb;
  return (b.createdAt ?? '').localeCompare(a.createdAt ?? '');
}

/** One event as the report shows it. */
export function toEventReport(e: KubeEvent): EventReport {
  return {
    type: e.type ?? 'Normal',
    reason: e.reason,
    message: e.message,
    object: `${e.involvedObject.kind ?? 'Object'}/${e.involvedObject.name ?? '?'}`,
    count: e.series?.count ?? e.count ?? 1,
    firstTimestamp: e.firstTimestamp ?? e.eventTime,
    lastTimestamp: e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp,
  };
}

/** Warnings first, then newest first; at most `max`. */
export function sortEvents(events: readonly EventReport[], max: number): EventReport[] {
  return [...events]
    .sort((a, b) => {
      const wa = a.type === 'Warning' ? 0 : 1;
      const wb = b.type === 'Warning' ? 0 : 1;
      if (wa !== wb) return wa - wb;
      return (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? '');
    })
    .slice(0, max);
}

function seconds(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) ? Math.max(0, d) : null;
}

/** The Job's status, limits and images; `now` ends the duration of a Job still running. */
export function toJobInfo(job: KubeJob, now: Date): JobInfo {
  const conditions = job.status?.conditions ?? [];
  const finished = conditions.find((c) => (c.type === 'Failed' || c.type === 'Complete') && c.status === 'True');
  const start = job.status?.startTime ?? null;
  const end = job.status?.completionTime ?? finished?.lastTransitionTime ?? (finished === undefined ? now.toISOString() : null);
  const podSpec = job.spec?.template?.spec;
  const images = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])]
    .map((c) => c.image)
    .filter((i): i is string => i !== null);
  // Helm's helm.sh/hook-delete-policy counts like Argo CD's own (hook.DeletePolicies).
  const policies = explicitDeletePolicies(job.metadata.annotations);
  return {
    name: job.metadata.name,
    namespace: job.metadata.namespace ?? '',
    uid: job.metadata.uid,
    conditions: conditions.map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastTransitionTime: c.lastTransitionTime,
    })),
    backoffLimit: job.spec?.backoffLimit ?? null,
    activeDeadlineSeconds: job.spec?.activeDeadlineSeconds ?? null,
    ttlSecondsAfterFinished: job.spec?.ttlSecondsAfterFinished ?? null,
    active: job.status?.active ?? 0,
    succeeded: job.status?.succeeded ?? 0,
    failed: job.status?.failed ?? 0,
    startTime: start,
    completionTime: job.status?.completionTime ?? null,
    durationSeconds: seconds(start, end),
    images: [...new Set(images)],
    deletePolicy: policies.length === 0 ? null : policies.join(','),
    createdAt: job.metadata.creationTimestamp,
  };
}

/** Scrub a raw log and count what is left (bytes after scrubbing: what leaves the service). */
export function toLogTail(raw: RawLog, opts: { tailLines: number; previous: boolean }, scrub: Scrubber): LogTail {
  const text = scrub(raw.text);
  const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return {
    text,
    truncated: raw.cutByCap || lines >= opts.tailLines,
    bytes: Buffer.byteLength(text),
    lines,
    previous: opts.previous,
  };
}
