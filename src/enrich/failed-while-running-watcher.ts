import type { HookEvent } from '../model/hook-event.js';
import type { FailedWhileRunningConfig } from './enrich-config.js';
import type { JobPodSighting } from './capture-watcher.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeJob } from '../kube/kube-objects.js';
import { hookTypeOf } from '../model/hook-annotations.js';
import { appIdentity, isFinished, jobHookEvent } from './job-hook-event.js';
import { DecidedJobs, PeriodicCheck, type HookJobWatcherDeps } from './periodic-check.js';

export interface FailedWhileRunningWatcherDeps extends HookJobWatcherDeps {
  config: FailedWhileRunningConfig;
  /** Raise the event (the composition root stores it and wakes the worker). */
  onFailed: (event: HookEvent) => void;
}

/** A Job seen through its pods: the client and namespace it is read with. */
interface SeenJob {
  client: KubeClient;
  namespace: string;
  job: { name: string; uid: string };
}

/** Other running Jobs read per failed hook: a namespace full of batch work is not read whole. */
const SIBLINGS_READ_MAX = 10;

/** Whether a Job has failed for good (its Failed condition): Argo CD then counts the hook as failed. */
export function hasFailed(job: KubeJob): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True');
}

/** The lead of the event: what to do first, then why no Argo CD notification has come yet. */
export function failedWhileRunningMessage(job: KubeJob, running: readonly KubeJob[]): string {
  const where = `${job.metadata.namespace ?? ''}/${job.metadata.name}`;
  const others = running.map((j) => `${j.metadata.namespace ?? ''}/${j.metadata.name}`).join(', ');
  return `Hook Job ${where} failed: look at its logs and fix it, the sync will fail. Argo CD keeps the operation Running (and notifies nothing) until the other hooks of this wave end: ${others}.`;
}

/**
 * "Hook failed, sync still running" (issue 19): when one hook of a wave fails while others still run, Argo
 * CD's operation stays Running and no trigger fires until they end, which for a long migration beside it is
 * a long silence. A failed pod of a Job is remembered from the capture watch; every `checkIntervalMs` its Job
 * is read, and if it is a hook of an alerting type that failed for good while a hook Job of the same app
 * still runs (seen through its running pods), one `hook-failed` event with the operation Running goes through
 * the normal pipeline. When no other hook runs, Argo CD reports the failure itself at once: nothing is raised.
 */
export class FailedWhileRunningWatcher {
  readonly #d: FailedWhileRunningWatcherDeps;
  /** Pod uid → its Job, while the pod runs or waits. */
  readonly #running = new Map<string, SeenJob>();
  /** Job uid → the Job, for Jobs with a failed pod not decided yet. */
  readonly #failed = new Map<string, SeenJob>();
  readonly #decided = new DecidedJobs();
  readonly #periodic: PeriodicCheck;

  constructor(deps: FailedWhileRunningWatcherDeps) {
    this.#d = deps;
    this.#periodic = new PeriodicCheck({ intervalMs: deps.config.checkIntervalMs, pass: () => this.check(), logger: deps.logger, what: 'failed-hook check' });
  }

  /** A Job's pod changed: remember running pods, and Jobs with a failed pod. */
  sighting(s: JobPodSighting): void {
    const uid = s.pod.metadata.uid;
    if (uid === null) return;
    const seen = { client: s.client, namespace: s.pod.metadata.namespace ?? '', job: s.job };
    if (s.running) this.#running.set(uid, seen);
    else this.#running.delete(uid);
    if (s.pod.status?.phase === 'Failed' && !this.#decided.has(s.job.uid)) this.#failed.set(s.job.uid, seen);
  }

  /** Check periodically. */
  start(): void {
    this.#periodic.start();
  }

  /** Stop checking and wait for a check in progress. */
  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  #decide(jobUid: string): void {
    this.#failed.delete(jobUid);
    this.#decided.add(jobUid);
  }

  async #read(seen: SeenJob): Promise<KubeJob | null | 'unreadable'> {
    try {
      const job = await seen.client.readJob(seen.namespace, seen.job.name, AbortSignal.timeout(10_000));
      return job === null || job.metadata.uid !== seen.job.uid ? null : job;
    } catch (err) {
      this.#d.logger.warn({ job: `${seen.namespace}/${seen.job.name}`, error: err instanceof Error ? err.message : String(err) }, 'failed-hook check could not read the Job; trying again next time');
      return 'unreadable';
    }
  }

  /** One pass: each Job with a failed pod is read; returns the events raised. */
  async check(): Promise<HookEvent[]> {
    const raised: HookEvent[] = [];
    for (const [uid, seen] of [...this.#failed]) {
      const job = await this.#read(seen);
      if (job === 'unreadable') continue;
      // Still retrying (backoffLimit): the next failed pod or pass decides.
      if (job !== null && !isFinished(job)) continue;
      this.#decide(uid);
      const hookType = job === null ? null : hookTypeOf(job.metadata.annotations);
      if (job === null || !hasFailed(job) || hookType === null || !this.#d.hookTypes.includes(hookType)) continue;
      const app = appIdentity(job, this.#d.appNamespace);
      if (app === null) continue;
      const running = await this.#runningHooksOf(app, seen);
      if (running.length === 0) continue;
      const event = jobHookEvent('hook-failed', job, failedWhileRunningMessage(job, running), {
        app,
        destination: this.#d.destinationOf(seen.client),
        now: new Date((this.#d.clock ?? Date.now)()),
      });
      raised.push(event);
      this.#d.onFailed(event);
    }
    return raised;
  }

  /** Hook Jobs of the same app in the same cluster and namespace that still run. */
  async #runningHooksOf(app: { name: string; namespace: string }, failed: SeenJob): Promise<KubeJob[]> {
    const candidates = new Map<string, SeenJob>();
    for (const s of this.#running.values()) {
      if (s.client === failed.client && s.namespace === failed.namespace && s.job.uid !== failed.job.uid) candidates.set(s.job.uid, s);
    }
    const running: KubeJob[] = [];
    for (const s of [...candidates.values()].slice(0, SIBLINGS_READ_MAX)) {
      const job = await this.#read(s);
      if (job === 'unreadable' || job === null || isFinished(job) || hookTypeOf(job.metadata.annotations) === null) continue;
      const owner = appIdentity(job, this.#d.appNamespace);
      if (owner?.name === app.name && owner.namespace === app.namespace) running.push(job);
    }
    return running;
  }
}
