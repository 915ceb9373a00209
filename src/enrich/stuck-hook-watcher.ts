import type { Logger } from 'pino';
import type { HookEvent } from '../model/hook-event.js';
import type { StuckConfig } from './enrich-config.js';
import type { JobPodSighting } from './capture-watcher.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeJob, KubePod } from '../kube/kube-objects.js';
import { hookTypeOf } from '../model/hook-annotations.js';
import { DecidedJobs, PeriodicCheck } from './periodic-check.js';
import { appIdentity, INSTANCE_LABEL, isFinished, jobHookEvent, TRACKING_ID_ANNOTATION, type JobEventContext } from './job-hook-event.js';

/** Seconds after which a hook Job counts as stuck: the threshold, or its activeDeadlineSeconds if smaller. */
export function stuckAfterSeconds(job: KubeJob, thresholdMinutes: number): number {
  const threshold = thresholdMinutes * 60;
  const deadline = job.spec?.activeDeadlineSeconds ?? null;
  return deadline !== null && deadline > 0 && deadline < threshold ? deadline : threshold;
}

/** The `hook-stuck` event for a Job that has run past its limit. */
export function stuckEvent(job: KubeJob, ctx: JobEventContext & { runningSeconds: number; limitSeconds: number }): HookEvent {
  const namespace = job.metadata.namespace ?? ctx.destination.namespace ?? '';
  const message = `hook Job ${namespace}/${job.metadata.name} has been running for ${Math.floor(ctx.runningSeconds / 60)} min (limit ${Math.round(ctx.limitSeconds / 60)} min)`;
  return jobHookEvent('hook-stuck', job, message, ctx);
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

/** A running pod of a Job not yet looked up; kept small, since a large cluster has many. */
interface Tracked {
  client: KubeClient;
  namespace: string;
  pod: string;
  job: { name: string; uid: string };
  /** When the pod started (ms): the Job started no later, so it is stuck no sooner than this says. */
  since: number;
}

/**
 * Stuck hooks (argo-cd#4979, #15593: a PreSync Job that never finishes never notifies): running pods of
 * Jobs are tracked from the watch without any API call; every `checkIntervalMs`, a Job whose pod has run
 * longer than the threshold is looked up (one at a time: housekeeping, never in the way of captures), and
 * if it is a hook that still runs past its limit, raises one `hook-stuck` event through the normal
 * pipeline. A Job's activeDeadlineSeconds below the threshold is therefore seen at the threshold only.
 */
export class StuckHookWatcher {
  readonly #d: StuckHookWatcherDeps;
  readonly #clock: () => number;
  /** Pod uid → its Job, while the pod runs. */
  readonly #tracked = new Map<string, Tracked>();
  readonly #reported = new Set<string>();
  /** Jobs looked up and found not to be hooks, or finished: not looked up again while remembered. */
  readonly #settled = new DecidedJobs();
  readonly #periodic: PeriodicCheck;

  constructor(deps: StuckHookWatcherDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? Date.now;
    this.#periodic = new PeriodicCheck({ intervalMs: deps.config.checkIntervalMs, pass: () => this.check(), logger: deps.logger, what: 'stuck-hook check' });
  }

  /** A Job's pod changed: track it while it runs, forget it when it stops. */
  sighting(s: JobPodSighting): void {
    const uid = s.pod.metadata.uid;
    if (uid === null) return;
    if (!s.running || this.#reported.has(s.job.uid) || this.#settled.has(s.job.uid)) {
      this.#tracked.delete(uid);
      return;
    }
    if (this.#tracked.has(uid)) return;
    const since = Date.parse(s.pod.status?.startTime ?? s.pod.metadata.creationTimestamp ?? '');
    if (!Number.isFinite(since)) return;
    this.#tracked.set(uid, { client: s.client, namespace: s.pod.metadata.namespace ?? '', pod: s.pod.metadata.name, job: s.job, since });
  }

  /** Pods tracked (tests and diagnostics). */
  get tracked(): number {
    return this.#tracked.size;
  }

  /** Check periodically. */
  start(): void {
    this.#periodic.start();
  }

  /** Stop checking and wait for a check in progress. */
  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  #settle(jobUid: string, pods: readonly string[]): void {
    this.#settled.add(jobUid);
    for (const pod of pods) this.#tracked.delete(pod);
  }

  /** One pass: each Job with a pod running past the threshold is looked up; returns the events raised. */
  async check(): Promise<HookEvent[]> {
    const raised: HookEvent[] = [];
    const threshold = this.#d.config.thresholdMinutes * 60_000;
    const due = new Map<string, { t: Tracked; pods: string[] }>();
    const now0 = this.#clock();
    for (const [podUid, t] of this.#tracked) {
      if (now0 - t.since <= threshold) continue;
      const job = due.get(t.job.uid);
      if (job === undefined) due.set(t.job.uid, { t, pods: [podUid] });
      else job.pods.push(podUid);
    }
    for (const [uid, { t, pods }] of due) {
      const where = `${t.namespace}/${t.job.name}`;
      let live: KubeJob | null;
      try {
        live = await t.client.readJob(t.namespace, t.job.name, AbortSignal.timeout(10_000));
      } catch (err) {
        this.#d.logger.warn({ job: where, error: err instanceof Error ? err.message : String(err) }, 'stuck-hook check could not read the Job; trying again next time');
        continue;
      }
      const hookType = live === null ? null : hookTypeOf(live.metadata.annotations);
      if (live === null || live.metadata.uid !== uid || isFinished(live) || hookType === null) {
        this.#settle(uid, pods);
        continue;
      }
      const now = this.#clock();
      const started = Date.parse(live.status?.startTime ?? live.metadata.creationTimestamp ?? '');
      const limit = stuckAfterSeconds(live, this.#d.config.thresholdMinutes);
      if (!Number.isFinite(started) || now - started <= limit * 1_000) continue;
      this.#reported.add(uid);
      for (const pod of pods) this.#tracked.delete(pod);
      if (!this.#d.hookTypes.includes(hookType)) continue;
      const app = appIdentity(live, this.#d.config.appNamespace);
      if (app === null) {
        this.#d.logger.warn({ job: where }, `hook Job is stuck but carries no Argo CD tracking (${TRACKING_ID_ANNOTATION} or ${INSTANCE_LABEL}); no alert can be routed for it`);
        continue;
      }
      await this.#capture(t);
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

  /** Snapshot the stuck hook's pod as it is now (it was not kept while tracked: a large cluster has many). */
  async #capture(t: Tracked): Promise<void> {
    if (this.#d.capture === undefined) return;
    try {
      const pod = await t.client.readPod(t.namespace, t.pod, AbortSignal.timeout(10_000));
      if (pod !== null) this.#d.capture(t.client, pod);
    } catch (err) {
      this.#d.logger.warn({ pod: `${t.namespace}/${t.pod}`, error: err instanceof Error ? err.message : String(err) }, 'the stuck hook\'s pod could not be read; the alert goes out without its snapshot');
    }
  }
}
