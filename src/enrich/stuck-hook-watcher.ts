import type { Logger } from 'pino';
import type { HookEvent } from '../model/hook-event.js';
import type { StuckConfig } from './enrich-config.js';
import type { HookJobSighting } from './capture-watcher.js';
import type { KubeClient } from '../kube/kube-client.js';
import { HOOK_ANNOTATION, type KubeJob, type KubePod } from '../kube/kube-objects.js';

const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
const INSTANCE_LABEL = 'app.kubernetes.io/instance';

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

/** Seconds after which a hook Job counts as stuck: the threshold, or its activeDeadlineSeconds if smaller. */
export function stuckAfterSeconds(job: KubeJob, thresholdMinutes: number): number {
  const threshold = thresholdMinutes * 60;
  const deadline = job.spec?.activeDeadlineSeconds ?? null;
  return deadline !== null && deadline > 0 && deadline < threshold ? deadline : threshold;
}

function isFinished(job: KubeJob): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/**
 * The `hook-stuck` event for a Job. Incident key: Argo CD's operation `startedAt` is not visible in the
 * cluster, so the Job's own start time stands in for it. A stuck hook is therefore an incident of its own
 * (its thread is not the one of a later `hook-failed` for the same operation), and the same Job always
 * maps to the same incident, so detecting it again (another replica, a restart) is a duplicate.
 */
export function stuckEvent(
  job: KubeJob,
  ctx: { app: { name: string; namespace: string }; destination: HookEvent['destination']; runningSeconds: number; limitSeconds: number; now: Date },
): HookEvent {
  const hookType = job.metadata.annotations[HOOK_ANNOTATION] ?? 'unknown';
  const namespace = job.metadata.namespace ?? ctx.destination.namespace ?? '';
  const message = `hook Job ${namespace}/${job.metadata.name} has been running for ${Math.floor(ctx.runningSeconds / 60)} min (limit ${Math.round(ctx.limitSeconds / 60)} min)`;
  const podSpec = job.spec?.template?.spec;
  const images = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])].map((c) => c.image).filter((i): i is string => i !== null);
  return {
    kind: 'hook-stuck',
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
        hookPhase: 'Running',
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

export interface StuckHookWatcherDeps {
  config: StuckConfig;
  /** Hook types that alert (config hooks.types). */
  hookTypes: readonly string[];
  /** The Application destination that resolves to a cluster client (for the event's destination). */
  destinationOf: (client: KubeClient) => HookEvent['destination'];
  /** Raise the event (the composition root stores it and wakes the worker). */
  onStuck: (event: HookEvent) => void;
  /** Snapshot a stuck hook's pod (docs/design.md, "Terminated hooks lose their logs too"). */
  capture?: (client: KubeClient, pod: KubePod) => void;
  logger: Logger;
  clock?: () => number;
}

interface Tracked {
  client: KubeClient;
  job: KubeJob;
  pod: KubePod;
}

/**
 * Stuck hooks (argo-cd#4979, #15593: a PreSync Job that never finishes never notifies): hook Jobs seen
 * running through their pods are checked every `checkIntervalMs`; one running longer than its limit is
 * re-read, and if it still runs, raises one `hook-stuck` event through the normal pipeline.
 */
export class StuckHookWatcher {
  readonly #d: StuckHookWatcherDeps;
  readonly #clock: () => number;
  readonly #tracked = new Map<string, Tracked>();
  readonly #reported = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #checking: Promise<void> | null = null;

  constructor(deps: StuckHookWatcherDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? Date.now;
  }

  /** A pod of a hook Job was seen running or pending. */
  sighting(s: HookJobSighting): void {
    const uid = s.job.metadata.uid;
    if (uid === null || this.#reported.has(uid)) return;
    this.#tracked.set(uid, { client: s.client, job: s.job, pod: s.pod });
  }

  /** Check periodically. */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.#checking ??= this.check().then(
        () => {
          this.#checking = null;
        },
        (err: unknown) => {
          this.#checking = null;
          this.#d.logger.error({ err }, 'stuck-hook check failed; it runs again at the next interval');
        },
      );
    }, this.#d.config.checkIntervalMs);
    this.#timer.unref();
  }

  /** Stop checking and wait for a check in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#checking;
  }

  /** One pass over the tracked hook Jobs; returns the events raised. */
  async check(): Promise<HookEvent[]> {
    const raised: HookEvent[] = [];
    for (const [uid, t] of [...this.#tracked]) {
      const now = this.#clock();
      const started = Date.parse(t.job.status?.startTime ?? t.job.metadata.creationTimestamp ?? '');
      if (!Number.isFinite(started)) continue;
      const limit = stuckAfterSeconds(t.job, this.#d.config.thresholdMinutes);
      if (now - started <= limit * 1_000) continue;
      const where = `${t.job.metadata.namespace ?? ''}/${t.job.metadata.name}`;
      let live: KubeJob | null;
      try {
        live = await t.client.readJob(t.job.metadata.namespace ?? '', t.job.metadata.name, AbortSignal.timeout(10_000));
      } catch (err) {
        this.#d.logger.warn({ job: where, error: err instanceof Error ? err.message : String(err) }, 'stuck-hook check could not read the Job; trying again next time');
        continue;
      }
      this.#tracked.delete(uid);
      if (live === null || live.metadata.uid !== uid || isFinished(live)) continue;
      this.#reported.add(uid);
      const hookType = live.metadata.annotations[HOOK_ANNOTATION] ?? '';
      if (!this.#d.hookTypes.includes(hookType)) continue;
      const app = appIdentity(live, this.#d.config.appNamespace);
      if (app === null) {
        this.#d.logger.warn({ job: where }, `hook Job is stuck but carries no Argo CD tracking (${TRACKING_ID_ANNOTATION} or ${INSTANCE_LABEL}); no alert can be routed for it`);
        continue;
      }
      this.#d.capture?.(t.client, t.pod);
      const event = stuckEvent(live, {
        app,
        destination: this.#d.destinationOf(t.client),
        runningSeconds: (now - started) / 1_000,
        limitSeconds: limit,
        now: new Date(now),
      });
      raised.push(event);
      this.#d.onStuck(event);
    }
    return raised;
  }
}
