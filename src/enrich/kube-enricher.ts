import type { Enricher } from '../model/pipeline.js';
import type { HookEvent, HookRef } from '../model/hook-event.js';
import type { Metrics } from '../metrics.js';
import type { AlertReport, EventReport, JobReport, PodReport } from '../model/job-report.js';
import type { EnrichBounds } from './enrich-config.js';
import type { CaptureRecord } from '../model/capture-snapshot.js';
import type { CaptureRepository } from '../store/alert-store.js';
import type { ClusterRegistry } from './cluster-registry.js';
import { MAX_JOB_PODS, type KubeClient } from '../kube/kube-client.js';
import { describeKubeFailure, isClusterWide, KubeCallError, type KubeAccess } from '../kube/kube-failure.js';
import type { KubePod } from '../kube/kube-objects.js';
import { createLimiter, type Limiter } from '../kube/limiter.js';
import { logsOffReason, readPodReport, type LogFallback } from './pod-reader.js';
import { comparePods, sortEvents, toEventReport, toJobInfo, toPodReport } from './report-mapping.js';
import { scrubDeep, type Scrubber } from '../scrub/scrub.js';
import { explainJobHookGaps, jobHookSource, type Gap, type JobHookReads, type MissingWhat } from './job-hook-gaps.js';


export interface KubeEnricherDeps {
  registry: ClusterRegistry;
  bounds: EnrichBounds;
  scrub: Scrubber;
  captures: CaptureRepository | null;
  /** false: the alert says that capture is off when logs are gone. */
  captureEnabled: boolean;
  metrics: Metrics | null;
  clock?: () => number;
}

/** Collects the sentences of a JobReport's `missing` and the metric label of each real gap. */
class Gaps {
  readonly sentences: string[] = [];
  readonly whats: MissingWhat[] = [];

  /** Something could not be read (counted in enrich_partial_total). */
  fail(what: MissingWhat, sentence: string): void {
    this.sentences.push(sentence);
    this.whats.push(what);
  }

  /** Failures told elsewhere (a container's `logUnavailable`): counted, no sentence. */
  count(what: MissingWhat, n: number): void {
    for (let i = 0; i < n; i += 1) this.whats.push(what);
  }

  /** Context for the reader (where data came from, what was left out by the bounds); not a failure. */
  note(sentence: string): void {
    this.sentences.push(sentence);
  }

  /** The gaps a pure explanation found: failures counted, notes told. */
  add(gaps: readonly Gap[]): void {
    for (const g of gaps) {
      if (g.what === null) this.note(g.sentence);
      else this.fail(g.what, g.sentence);
    }
  }
}

function asKubeError(err: unknown): KubeCallError {
  return err instanceof KubeCallError ? err : new KubeCallError('unreachable', err instanceof Error ? err.message : String(err));
}

function eventKey(e: EventReport): string {
  return JSON.stringify([e.object, e.reason, e.message, e.firstTimestamp]);
}

/** A call's outcome, so that calls made together are judged in a fixed order afterwards. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(call: Promise<T>): Promise<Settled<T>> {
  return call.then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({ ok: false, error }),
  );
}

/**
 * The events of a hook's objects, read in whichever wave knows the object's name. The first failure is
 * reported once and stops later reads (same cause); `finish` reports what the per-object bound cut.
 */
class EventLists {
  /** One list per object, in the order the reads were asked for (not the order they came back). */
  readonly #lists: EventReport[][] = [];
  readonly #cut: string[] = [];
  #failure: { object: string; error: KubeCallError } | null = null;
  #discarded = false;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly max: number,
    private readonly gaps: Gaps,
    private readonly limit: Limiter,
    private readonly signal: AbortSignal,
  ) {}

  /** Read the events of one object; failures are kept for `finish`, never thrown. */
  async read(kind: string, name: string): Promise<void> {
    if (this.#failure !== null) return;
    const list: EventReport[] = [];
    this.#lists.push(list);
    try {
      const events = await this.limit(() =>
        this.#failure !== null ? Promise.resolve({ items: [], truncated: false }) : this.client.listEvents(this.namespace, kind, name, this.max, this.signal),
      );
      if (events.truncated) this.#cut.push(`${kind} ${name}`);
      list.push(...events.items.map(toEventReport));
    } catch (err) {
      this.#failure ??= { object: `${kind} ${this.namespace}/${name}`, error: asKubeError(err) };
    }
  }

  /** The cluster failed as a whole and that was said already: no sentence of its own. */
  discard(): void {
    this.#discarded = true;
  }

  /** The events read, after telling what failed or was cut. */
  finish(): EventReport[] {
    if (this.#discarded) return [];
    if (this.#failure !== null) {
      this.gaps.fail(
        'events',
        describeKubeFailure(`events of ${this.#failure.object}`, this.#failure.error, {
          cluster: this.client.clusterId,
          access: { verb: 'list', resource: 'events', namespace: this.namespace },
        }),
      );
    }
    if (this.#cut.length > 0) {
      this.gaps.note(
        `more events exist than the ${this.max} read per object (kubernetes.bounds.maxEventsPerHook) for ${this.#cut.join(', ')}; kubectl get events -n ${this.namespace} shows them all`,
      );
    }
    return this.#lists.flat();
  }
}

type PodCandidate = { kind: 'live'; pod: KubePod; report: PodReport } | { kind: 'capture'; record: CaptureRecord; report: PodReport };

/**
 * The enrich stage: reads the destination cluster for each hook of an event (Job, pods, container states,
 * log tails, events), falls back to captured snapshots when Argo CD deleted them, scrubs everything and
 * never throws for a cluster problem: each one becomes a sentence in the hook's `missing`.
 */
export class KubeEnricher implements Enricher {
  readonly #deps: KubeEnricherDeps;
  readonly #clock: () => number;

  constructor(deps: KubeEnricherDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? Date.now;
  }

  /** Enrich every hook of the event within the signal's deadline. */
  async enrich(event: HookEvent, opts: { signal: AbortSignal }): Promise<AlertReport> {
    const started = this.#clock();
    const limit = createLimiter(this.#deps.bounds.concurrency);
    const resolution = await this.#deps.registry.lookup(event.destination);
    const max = this.#deps.bounds.maxHooksPerEvent;
    if (event.kind === 'sync-succeeded') {
      // Nothing failed: only the Jobs are read, to tell whether this sync ran them (model/skipped-hooks.ts).
      const jobs = resolution.ok ? await Promise.all(event.hooks.slice(0, max).map((hook) => this.#jobOnly(resolution.client, event, hook, limit, opts.signal))) : [];
      return { hooks: jobs, notes: resolution.ok ? [] : [resolution.missing], enrichedAt: new Date(this.#clock()).toISOString(), durationMs: this.#clock() - started };
    }
    const hooks = await Promise.all(
      event.hooks.slice(0, max).map(async (hook) => {
        const gaps = new Gaps();
        let report: JobReport;
        if (!resolution.ok) {
          gaps.fail('cluster', resolution.missing);
          report = this.#empty(hook, event.destination.server ?? event.destination.name, gaps);
        } else {
          report = await this.#hook(resolution.client, event, hook, gaps, limit, opts.signal);
        }
        for (const what of gaps.whats) this.#deps.metrics?.enrichPartial.inc({ what });
        return scrubDeep(report, this.#deps.scrub);
      }),
    );
    const notes: string[] = [];
    if (event.hooks.length > max) {
      notes.push(`${event.hooks.length} failed hooks in this sync: the first ${max} were read from the cluster (kubernetes.bounds.maxHooksPerEvent), the others are listed by name`);
    }
    if (opts.signal.aborted) {
      notes.push(`enrichment stopped at its ${this.#deps.bounds.deadlineMs} ms deadline; what was not read is listed per hook`);
    }
    return { hooks, notes, enrichedAt: new Date(this.#clock()).toISOString(), durationMs: this.#clock() - started };
  }

  /** The hook's Job alone (no pods, logs or events); a Job that cannot be read is reported without it. */
  async #jobOnly(client: KubeClient, event: HookEvent, hook: HookRef, limit: Limiter, signal: AbortSignal): Promise<JobReport> {
    const gaps = new Gaps();
    const namespace = hook.namespace ?? event.destination.namespace;
    if (namespace === null || hook.kind !== 'Job') return this.#empty(hook, client.clusterId, gaps);
    const read = await settle(limit(() => client.readJob(namespace, hook.name, signal)));
    if (!read.ok) gaps.fail('job', describeKubeFailure(`Job ${namespace}/${hook.name}`, asKubeError(read.error), this.#ctx(client, 'get', 'jobs.batch', namespace)));
    const job = read.ok && read.value !== null ? toJobInfo(read.value, new Date(this.#clock())) : null;
    return { ...this.#empty(hook, client.clusterId, gaps), job, source: job === null ? 'none' : 'live' };
  }

  #empty(hook: HookRef, cluster: string | null, gaps: Gaps): JobReport {
    return { hook, cluster, job: null, pods: [], events: [], source: 'none', capturedAt: null, missing: gaps.sentences };
  }

  async #hook(client: KubeClient, event: HookEvent, hook: HookRef, gaps: Gaps, limit: Limiter, signal: AbortSignal): Promise<JobReport> {
    const namespace = hook.namespace ?? event.destination.namespace;
    if (namespace === null) {
      gaps.fail('job', `${hook.kind} ${hook.name}: neither the hook nor the app destination names a namespace, so it cannot be looked up`);
      return this.#empty(hook, client.clusterId, gaps);
    }
    const isJob = hook.kind === 'Job' && (hook.group === null || hook.group === 'batch');
    const isPod = hook.kind === 'Pod' && (hook.group === null || hook.group === '');
    if (isJob) return this.#jobHook(client, event, hook, namespace, gaps, limit, signal);
    if (isPod) return this.#podHook(client, hook, namespace, gaps, limit, signal);
    gaps.note(`${hook.kind} ${namespace}/${hook.name}: only Job and Pod hooks have pods and logs to show`);
    return this.#empty(hook, client.clusterId, gaps);
  }

  #ctx(client: KubeClient, verb: KubeAccess['verb'], resource: string, namespace: string): { cluster: string; access: KubeAccess } {
    return { cluster: client.clusterId, access: { verb, resource, namespace } };
  }

  async #jobHook(
    client: KubeClient,
    event: HookEvent,
    hook: HookRef,
    namespace: string,
    gaps: Gaps,
    limit: Limiter,
    signal: AbortSignal,
  ): Promise<JobReport> {
    const { bounds } = this.#deps;
    const now = this.#clock();
    const name = hook.name;
    const jobRef = `Job ${namespace}/${name}`;

    // Wave 1: the Job, its pods and its events together. Captures are local: they still help when the
    // cluster cannot be asked.
    const events = new EventLists(client, namespace, bounds.maxEventsPerHook, gaps, limit, signal);
    const [jobRead, podsRead] = await Promise.all([
      settle(limit(() => client.readJob(namespace, name, signal))),
      settle(limit(() => client.listJobPods(namespace, name, signal))),
      events.read('Job', name),
    ]);
    // Captures are local: they still help when the cluster cannot be asked.
    const captures = (await this.#deps.captures?.forJob(client.clusterId, namespace, name, now)) ?? [];

    let job = null;
    let clusterDown = false;
    let jobFailed = false;
    if (jobRead.ok) job = jobRead.value;
    else {
      const e = asKubeError(jobRead.error);
      gaps.fail('job', describeKubeFailure(jobRef, e, this.#ctx(client, 'get', 'jobs.batch', namespace)));
      clusterDown = isClusterWide(e);
      jobFailed = true;
    }
    let livePods: KubePod[] = [];
    let podsFailed = false;
    // A cluster that failed the Job read as a whole failed the others for the same reason: said once.
    if (!clusterDown && podsRead.ok) {
      livePods = podsRead.value.items;
      if (podsRead.value.truncated) {
        gaps.note(`${jobRef} has more than ${MAX_JOB_PODS} pods; only the first ${MAX_JOB_PODS} the API listed were considered (kubectl get pods -n ${namespace} -l job-name=${name})`);
      }
    } else if (!clusterDown && !podsRead.ok) {
      const e = asKubeError(podsRead.error);
      gaps.fail('pods', describeKubeFailure(`pods of ${jobRef}`, e, this.#ctx(client, 'list', 'pods', namespace)));
      clusterDown = isClusterWide(e);
      podsFailed = true;
    }

    const liveUids = new Set(livePods.map((p) => p.metadata.uid));
    const candidates: PodCandidate[] = [
      ...livePods.map((pod): PodCandidate => ({ kind: 'live', pod, report: toPodReport(pod) })),
      ...captures
        .filter((c) => !liveUids.has(c.pod.uid))
        .map((record): PodCandidate => ({ kind: 'capture', record, report: { ...record.pod, capturedAt: record.capturedAt } })),
    ].sort((a, b) => comparePods(a.report, b.report));
    const shown = candidates.slice(0, bounds.maxPodsPerHook);
    if (candidates.length > shown.length) {
      gaps.note(`${candidates.length - shown.length} older pod(s) not shown (kubernetes.bounds.maxPodsPerHook: ${bounds.maxPodsPerHook})`);
    }

    const fallback: LogFallback = (uid, container) => {
      const record = captures.find((c) => c.pod.uid === uid);
      const log = record?.pod.containers.find((c) => c.name === container)?.log ?? null;
      return record === undefined || log === null ? null : { log, capturedAt: record.capturedAt };
    };
    // A stuck or blocked hook counts as failing: its logs are wanted when a failure's are.
    const logsOff = logsOffReason(job, event.kind === 'hook-skipped' ? 'succeeded' : 'failed');
    // Wave 2: every pod's logs and every pod's events together.
    const [pods] = await Promise.all([
      Promise.all(
        shown.map(async (c) => {
          if (c.kind === 'capture' || clusterDown) return c.report;
          const { pod, failures } = await readPodReport(client, c.pod, { bounds, scrub: this.#deps.scrub, limit, signal, fallback, logsOff });
          gaps.count('logs', failures.length);
          return pod;
        }),
      ),
      clusterDown ? Promise.resolve() : Promise.all(shown.map((c) => events.read('Pod', c.report.name))),
    ]);
    if (clusterDown) events.discard();
    const liveEvents = events.finish();
    const capturedEvents = shown.flatMap((c) => (c.kind === 'capture' ? c.record.events : []));
    const seen = new Set(liveEvents.map(eventKey));
    const mergedEvents = [...liveEvents, ...capturedEvents.filter((e) => !seen.has(eventKey(e)))];

    const usedCaptures = shown.flatMap((c) => (c.kind === 'capture' ? [c.record] : []));
    const jobInfo = job !== null ? toJobInfo(job, new Date(now)) : (captures.find((c) => c.job !== null)?.job ?? null);
    const capturedAt = usedCaptures[0]?.capturedAt ?? null;

    const reads: JobHookReads = {
      hook,
      event,
      namespace,
      liveJob: job === null ? null : { failed: job.status?.failed ?? 0, succeeded: job.status?.succeeded ?? 0 },
      jobReadFailed: jobFailed,
      livePods: livePods.length,
      podsReadFailed: podsFailed,
      capturedPods: usedCaptures.length,
      capturedAt,
      jobInfo,
      captureEnabled: this.#deps.captureEnabled,
    };
    gaps.add(explainJobHookGaps(reads));

    return {
      hook,
      cluster: client.clusterId,
      job: jobInfo,
      pods,
      events: sortEvents(mergedEvents, bounds.maxEventsPerHook),
      source: jobHookSource(reads),
      capturedAt,
      missing: gaps.sentences,
    };
  }

  async #podHook(client: KubeClient, hook: HookRef, namespace: string, gaps: Gaps, limit: Limiter, signal: AbortSignal): Promise<JobReport> {
    const ref = `Pod ${namespace}/${hook.name}`;
    // Wave 1: the pod and its events together; wave 2: its logs.
    const events = new EventLists(client, namespace, this.#deps.bounds.maxEventsPerHook, gaps, limit, signal);
    const [podRead] = await Promise.all([settle(limit(() => client.readPod(namespace, hook.name, signal))), events.read('Pod', hook.name)]);
    let pod: KubePod | null = null;
    if (podRead.ok) pod = podRead.value;
    else {
      const e = asKubeError(podRead.error);
      gaps.fail('pods', describeKubeFailure(ref, e, this.#ctx(client, 'get', 'pods', namespace)));
      if (isClusterWide(e)) {
        events.discard();
        return this.#empty(hook, client.clusterId, gaps);
      }
    }
    let pods: PodReport[] = [];
    if (pod === null) {
      gaps.fail('pods', `logs unavailable: ${ref} no longer exists (deleted by Argo CD's hook-delete-policy or by hand); capture keeps Job hooks only`);
    } else {
      const read = await readPodReport(client, pod, { bounds: this.#deps.bounds, scrub: this.#deps.scrub, limit, signal });
      gaps.count('logs', read.failures.length);
      pods = [read.pod];
    }
    const podEvents = events.finish();
    return {
      hook,
      cluster: client.clusterId,
      job: null,
      pods,
      events: sortEvents(podEvents, this.#deps.bounds.maxEventsPerHook),
      source: pod === null ? 'none' : 'live',
      capturedAt: null,
      missing: gaps.sentences,
    };
  }
}
