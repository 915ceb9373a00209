import type { Logger } from 'pino';
import type { CaptureConfig, EnrichBounds } from './enrich-config.js';
import type { CaptureReason } from '../model/capture-snapshot.js';
import type { CaptureRepository } from '../store/alert-store.js';
import type { KubeClient } from '../kube/kube-client.js';
import { KubeCallError } from '../kube/kube-failure.js';
import type { KubeJob, KubePod } from '../kube/kube-objects.js';
import { createLimiter, type Limiter } from '../kube/limiter.js';
import { logsOffReason, readPodReport, withoutLogs } from './pod-reader.js';
import { hookTypeOf } from '../model/hook-annotations.js';
import { PodWatch, type PodChange } from '../kube/pod-watch.js';
import { toEventReport, toJobInfo } from './report-mapping.js';
import { scrubDeep, type Scrubber } from '../scrub/scrub.js';

/** The Job that owns a pod, from its controller ownerReference. */
export function owningJob(pod: KubePod): { name: string; uid: string } | null {
  const ref = pod.metadata.ownerReferences.find((r) => r.kind === 'Job' && r.controller !== false);
  return ref === undefined ? null : { name: ref.name, uid: ref.uid };
}

/**
 * Whether a pod's state calls for a snapshot, and a signature of that state: the same signature is
 * captured once. A failed run is keyed by container, restart count and exit code, so a restarted
 * container that fails again is captured again; a pod being deleted while it runs (Argo CD terminating
 * the sync, or deleting the Job) is captured once.
 */
export function captureTrigger(pod: KubePod): { reason: CaptureReason; signature: string } | null {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const failed = statuses.flatMap((s) => {
    const parts: string[] = [];
    const now = s.state?.terminated;
    if (now != null && now.exitCode !== 0) parts.push(`${s.name}:${s.restartCount}:${now.exitCode}`);
    const last = s.lastState?.terminated;
    if (last != null && last.exitCode !== 0) parts.push(`${s.name}:${s.restartCount - 1}:${last.exitCode}`);
    return parts;
  });
  const phase = pod.status?.phase ?? null;
  if (phase === 'Failed') return { reason: 'pod-failed', signature: failed.length > 0 ? failed.join(',') : 'phase-failed' };
  if (failed.length > 0) return { reason: 'container-failed', signature: failed.join(',') };
  if (pod.metadata.deletionTimestamp !== null && (phase === 'Running' || phase === 'Pending')) return { reason: 'deleting', signature: 'deleting' };
  return null;
}

/**
 * A Job's pod as the watch saw it (for the stuck-hook watcher): still running or pending, or not any more
 * (finished, failed or deleted). Whether the Job is a hook is not known yet: it is looked up only when it
 * has run past the stuck threshold.
 */
export interface JobPodSighting {
  client: KubeClient;
  pod: KubePod;
  job: { name: string; uid: string };
  running: boolean;
}

export interface CaptureWatcherDeps {
  client: KubeClient;
  config: CaptureConfig;
  bounds: EnrichBounds;
  store: CaptureRepository;
  scrub: Scrubber;
  logger: Logger;
  /** Called for every change of a Job's pod that is not a capture (the stuck-hook watcher listens). */
  onJobPod?: (sighting: JobPodSighting) => void;
  clock?: () => number;
  /** Tests shorten the server-side watch timeout. */
  watchTimeoutSeconds?: number;
  /** Told when a namespace's pod watch (null: all namespaces) comes up or fails. */
  onWatchState?: (namespace: string | null, up: boolean) => void;
}

interface JobVerdict {
  job: KubeJob | null;
  isHook: boolean;
}

const JOB_CACHE_MAX = 2_000;

/** The calls of one snapshot (its Job, its containers' logs, its events) all go out at once. */
const unlimited: Limiter = (task) => task();

/**
 * Capture (docs/design.md, "Terminated hooks lose their logs too"): watches the pods of Jobs in the
 * configured namespaces of one cluster and, when a container of a hook Job's pod fails, the pod fails, or a
 * running hook pod is being deleted, reads its logs and state at once and stores a scrubbed snapshot,
 * before Argo CD's delete policy or its recreation of the Job on retry removes them.
 */
export class CaptureWatcher {
  readonly #d: CaptureWatcherDeps;
  readonly #clock: () => number;
  readonly #watches: PodWatch[];
  /** Snapshots at once (capture.concurrency); nothing else waits on it, so a capture never queues behind housekeeping. */
  readonly #limit: Limiter;
  readonly #stop = new AbortController();
  /** Pod uid → signature of the state last captured. */
  readonly #captured = new Map<string, string>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /**
   * Job uid → whether it is a hook (a Job's annotations do not change, so this never goes stale): the
   * verdict once known, the lookup while it runs.
   */
  readonly #jobs = new Map<string, JobVerdict | Promise<JobVerdict>>();
  /** Snapshots stored since start: tests and logs. */
  captures = 0;

  constructor(deps: CaptureWatcherDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? Date.now;
    this.#limit = createLimiter(deps.config.concurrency);
    const namespaces = deps.config.namespaces.length === 0 ? [null] : deps.config.namespaces;
    this.#watches = namespaces.map(
      (namespace) =>
        new PodWatch({
          client: deps.client,
          namespace,
          labelSelector: deps.config.podLabelSelector,
          onPod: (change, pod) => this.#onPod(change, pod),
          onState: (up) => deps.onWatchState?.(namespace, up),
          onSynced: (uids) => {
            for (const uid of this.#captured.keys()) if (!uids.has(uid)) this.#captured.delete(uid);
          },
          logger: deps.logger,
          ...(deps.watchTimeoutSeconds === undefined ? {} : { timeoutSeconds: deps.watchTimeoutSeconds }),
        }),
    );
  }

  /** The cluster this watcher watches. */
  get client(): KubeClient {
    return this.#d.client;
  }

  /** The pod watches (one per namespace, or one for all). */
  get watches(): readonly PodWatch[] {
    return this.#watches;
  }

  /** Start watching. */
  start(): void {
    for (const w of this.#watches) w.start();
  }

  /** Stop watching and wait for captures in flight (each bounded by the enrichment deadline). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#watches.map((w) => w.stop()));
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Wait until no capture is in flight (tests). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight.values()]);
  }

  #onPod(change: PodChange, pod: KubePod): void {
    const uid = pod.metadata.uid;
    const owner = owningJob(pod);
    if (uid === null || owner === null) return;
    if (change === 'DELETED') {
      // Too late to read its logs; a capture, if any, was taken on an earlier state.
      this.#captured.delete(uid);
      this.#d.onJobPod?.({ client: this.#d.client, pod, job: owner, running: false });
      return;
    }
    const trigger = captureTrigger(pod);
    const phase = pod.status?.phase;
    this.#d.onJobPod?.({ client: this.#d.client, pod, job: owner, running: trigger === null && (phase === 'Running' || phase === 'Pending') });
    if (trigger === null) return;
    // The watch also runs for the stuck-hook watcher alone (capture.enabled: false).
    if (!this.#d.config.enabled || this.#captured.get(uid) === trigger.signature) return;
    // A pod being deleted is captured only if nothing better (a failure) was captured before.
    if (trigger.reason === 'deleting' && this.#captured.has(uid)) return;
    if (trigger.reason !== 'deleting' && change !== 'SYNC') {
      this.capture(pod, trigger.reason, trigger.signature);
      return;
    }
    void this.#captureUnlessStored(pod, uid, trigger).catch((err: unknown) => {
      this.#d.logger.warn({ err, pod: pod.metadata.name }, 'cannot read the stored captures; this pod is captured when it changes next: check the database');
    });
  }

  /** Capture a pod being deleted, or seen again after a resync, unless a snapshot of it is stored already. */
  async #captureUnlessStored(pod: KubePod, uid: string, trigger: { reason: CaptureReason; signature: string }): Promise<void> {
    if (!(await this.#d.store.has(this.#d.client.clusterId, uid, this.#clock()))) {
      this.capture(pod, trigger.reason, trigger.signature);
    } else if (trigger.reason !== 'deleting') {
      this.#captured.set(uid, trigger.signature);
    }
  }

  /**
   * Whether a Job is a hook: the answer when it is known, else the lookup (one per Job at a time; a
   * failed lookup is not kept, so the next capture asks again).
   */
  #verdict(namespace: string, owner: { name: string; uid: string }): JobVerdict | Promise<JobVerdict> {
    const cached = this.#jobs.get(owner.uid);
    if (cached !== undefined) return cached;
    const lookup = (async (): Promise<JobVerdict> => {
      const job = await this.#d.client.readJob(namespace, owner.name, AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#d.bounds.callTimeoutMs)]));
      // Gone, or recreated under the same name (a retry): a pod whose Job vanished that fast was most
      // likely a hook deleted by Argo CD, so it counts as one.
      if (job === null || job.metadata.uid !== owner.uid) return { job: null, isHook: true };
      // Argo CD runs Helm hooks (helm.sh/hook) as its own: they are hooks too.
      return { job, isHook: hookTypeOf(job.metadata.annotations) !== null };
    })();
    this.#jobs.set(owner.uid, lookup);
    lookup.then(
      (verdict) => {
        if (this.#jobs.get(owner.uid) === lookup) this.#jobs.set(owner.uid, verdict);
      },
      () => this.#jobs.delete(owner.uid),
    );
    if (this.#jobs.size > JOB_CACHE_MAX) {
      const oldest = this.#jobs.keys().next().value;
      if (oldest !== undefined) this.#jobs.delete(oldest);
    }
    return lookup;
  }

  /** Take a snapshot of a Job's pod now (also used by the stuck-hook watcher). */
  capture(pod: KubePod, reason: CaptureReason, signature: string = reason): void {
    const uid = pod.metadata.uid;
    const owner = owningJob(pod);
    if (uid === null || owner === null || this.#inFlight.has(uid) || this.#stop.signal.aborted) return;
    const run = this.#limit(() => this.#snapshot(pod, owner, reason, signature))
      .catch((err: unknown) => {
        this.#d.logger.warn(
          { cluster: this.#d.client.clusterId, pod: `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`, error: err instanceof Error ? err.message : String(err) },
          'capture of a hook pod failed; its logs may be missing from the alert if Argo CD deletes it',
        );
      })
      .finally(() => this.#inFlight.delete(uid));
    this.#inFlight.set(uid, run);
  }

  async #snapshot(pod: KubePod, owner: { name: string; uid: string }, reason: CaptureReason, signature: string): Promise<void> {
    const namespace = pod.metadata.namespace ?? '';
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#d.bounds.deadlineMs)]);
    const known = this.#verdict(namespace, owner);
    if (!(known instanceof Promise) && !known.isHook) {
      this.#captured.set(pod.metadata.uid ?? '', signature);
      return;
    }
    // One round trip: the Job (is it a hook?), the logs and the events together. For a Job that turns out
    // not to be a hook the reads are dropped; that costs less than a round trip on every hook's capture.
    const [verdict, { pod: report, failures }, events] = await Promise.all([
      known,
      readPodReport(this.#d.client, pod, { bounds: this.#d.bounds, scrub: this.#d.scrub, limit: unlimited, signal }),
      this.#d.client.listEvents(namespace, 'Pod', pod.metadata.name, this.#d.bounds.maxEventsPerHook, signal).then(
        (list) => list.items.map(toEventReport),
        (err: unknown) => {
          // Events survive the pod for an hour: enrichment reads them live; the snapshot goes without.
          this.#d.logger.debug({ err: err instanceof KubeCallError ? err.message : err }, 'events of a captured pod not read');
          return [];
        },
      ),
    ]);
    if (!verdict.isHook) {
      this.#captured.set(pod.metadata.uid ?? '', signature);
      return;
    }
    const now = this.#clock();
    // Read with the Job in one round trip; dropped here when the hook's log policy does not want them.
    const logsOff = logsOffReason(verdict.job, 'failed');
    const snapshot = scrubDeep(
      {
        reason,
        job: verdict.job === null ? null : toJobInfo(verdict.job, new Date(now)),
        jobUid: owner.uid,
        pod: logsOff === null ? report : withoutLogs(report, logsOff),
        events,
      },
      this.#d.scrub,
    );
    const bytes = await this.#d.store.save(this.#d.client.clusterId, owner.name, snapshot, now);
    this.#captured.set(pod.metadata.uid ?? '', signature);
    this.captures += 1;
    this.#d.logger.info(
      {
        cluster: this.#d.client.clusterId,
        job: `${namespace}/${owner.name}`,
        pod: pod.metadata.name,
        reason,
        bytes,
        logFailures: failures.map((f) => `${f.container}: ${f.error.message}`),
      },
      'captured hook pod state and logs',
    );
  }
}
