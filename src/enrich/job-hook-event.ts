import type { HookEvent } from '../model/hook-event.js';
import type { KubeJob } from '../kube/kube-objects.js';
import { hookTypeOf } from '../model/hook-annotations.js';

/** The annotation Argo CD's annotation tracking writes on every resource it applies. */
export const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** The label Argo CD's label tracking writes instead. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * The Argo CD Application a resource belongs to, from its tracking annotation
 * ("<app>:<group>/<kind>:<namespace>/<name>") or, with label tracking, `app.kubernetes.io/instance`.
 * Apps in any namespace are written "<namespace>_<name>" (a Kubernetes name has no "_").
 */
export function appIdentity(job: KubeJob, defaultNamespace: string): { name: string; namespace: string } | null {
  const tracking = job.metadata.annotations[TRACKING_ID_ANNOTATION];
  const raw = tracking !== undefined && tracking.includes(':') ? tracking.slice(0, tracking.indexOf(':')) : job.metadata.labels[INSTANCE_LABEL];
  if (raw === undefined || raw === '') return null;
  const sep = raw.indexOf('_');
  return sep > 0 ? { namespace: raw.slice(0, sep), name: raw.slice(sep + 1) } : { namespace: defaultNamespace, name: raw };
}

/** Whether a Job has ended (Complete or Failed). */
export function isFinished(job: KubeJob): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** What a watcher knows when it raises an event about one hook Job. */
export interface JobEventContext {
  app: { name: string; namespace: string };
  destination: HookEvent['destination'];
  now: Date;
}

/**
 * An event the service raises itself about one hook Job (hook-stuck, hook-blocked, hook-failed while the sync runs). Incident key: Argo CD's
 * operation `startedAt` is not visible in the cluster, so the Job's own start time stands in for it. Such a
 * hook is therefore an incident of its own (its thread is not the one of a later `hook-failed` for the same
 * operation), and the same Job always maps to the same incident, so detecting it again (another replica, a
 * restart) is a duplicate.
 */
export function jobHookEvent(kind: 'hook-stuck' | 'hook-blocked' | 'hook-failed', job: KubeJob, message: string, ctx: JobEventContext): HookEvent {
  const hookType = hookTypeOf(job.metadata.annotations) ?? 'unknown';
  const namespace = job.metadata.namespace ?? ctx.destination.namespace ?? '';
  const podSpec = job.spec?.template?.spec;
  const images = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])].map((c) => c.image).filter((i): i is string => i !== null);
  return {
    kind,
    recipient: null,
    argocdUrl: null,
    app: { name: ctx.app.name, namespace: ctx.app.namespace, uid: null, project: null, labels: {}, annotations: {} },
    destination: { ...ctx.destination, namespace },
    sources: [],
    revisions: [],
    operation: {
      phase: 'Running',
      message,
      startedAt: job.status?.startTime ?? job.metadata.creationTimestamp ?? ctx.now.toISOString(),
      finishedAt: null,
      retryCount: 0,
      retryLimit: null,
      initiatedBy: { username: null, automated: false },
    },
    hooks: [
      {
        kind: 'Job',
        group: 'batch',
        namespace,
        name: job.metadata.name,
        hookType,
        hookPhase: kind === 'hook-failed' ? 'Failed' : 'Running',
        syncPhase: hookType,
        message,
        images: [...new Set(images)],
      },
    ],
    health: null,
    syncStatus: null,
    receivedAt: ctx.now.toISOString(),
  };
}
