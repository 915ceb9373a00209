import type { Logger } from 'pino';
import type { AlertStore, ClaimedDelivery, NewDelivery, PendingEvent } from '../store/alert-store.js';
import type { Metrics } from '../metrics.js';
import { parseTarget, type Sink, type SinkName, type SinkOutcome } from '../model/sink.js';
import { deliveryKindOf, type Alert } from '../model/alert.js';
import { describeError } from '../errors.js';
import { nextRetryDelayMs } from './backoff.js';
import type { Diagnoser, Enricher, Router } from '../model/pipeline.js';
import type { AlertReport } from '../model/job-report.js';
import type { Finding } from '../model/finding.js';
import type { EnrichBounds } from '../enrich/enrich-config.js';
import type { WorkerConfig } from './worker-config.js';
import { scrubDeep, type Scrubber } from '../scrub/scrub.js';
import { skippedHookEvent } from '../model/skipped-hooks.js';
import { eventDedupeKey } from '../model/hook-event.js';

/** What the worker reads of the config: its own section, and how long one enrichment may take. */
export interface WorkerSettings {
  worker: WorkerConfig;
  kubernetes: { bounds: Pick<EnrichBounds, 'deadlineMs' | 'eventsPerCluster'> };
}

export interface WorkerDeps {
  config: WorkerSettings;
  store: AlertStore;
  sinks: ReadonlyMap<SinkName, Sink>;
  router: Router;
  enricher?: Enricher | null;
  diagnose?: Diagnoser | null;
  logger: Logger;
  metrics: Metrics;
  /** Hides secrets in every text of an alert before a sink sees it (see #send). */
  scrub: Scrubber;
  clock?: () => number;
  random?: () => number;
  /** The incident page's URL for an incident, as alerts link to it (signed, when links are); absent: alerts carry no link. */
  incidentUrl?: (incidentId: string, now: number) => string;
}

/** Pending events looked at per pass (those being enriched are left out by the query). */
const EVENTS_PER_PASS = 64;
/** Events routed without enrichment per pass: bounds the work between two delivery rounds. */
const ROUTED_PER_PASS = 16;
// Sends in flight at once: each holds its alert (report, rendered Slack message, MIME mail) in memory, so this
// bounds the worker's share of the memory budget (16 measured ~5 MiB more peak RSS than 8); Slack allows
// ~1 post per second per channel anyway.
const DELIVERIES_PER_PASS = 8;

/** What the worker is doing, for /healthz: liveness is reported there, not in readiness. */
export interface WorkerHealth {
  running: boolean;
  /** ISO time the last pass finished, null before the first. */
  lastPassAt: string | null;
  /** A pass finished within the expected interval (a pass is bounded by worker.sendTimeoutMs). */
  passing: boolean;
  /** Events being enriched now, each in the background. */
  enriching: number;
}

/** Which cluster an event's enrichment asks: its destination, as the cluster registry matches it. */
function clusterKey(event: PendingEvent['event']): string {
  return (event.destination.server ?? `name:${event.destination.name ?? ''}`).trim().replace(/\/+$/, '');
}

function appKey(event: PendingEvent['event']): string {
  return `${event.app.namespace}/${event.app.name}`;
}

/** An event whose enrichment runs in the background. */
interface Enriching {
  app: string;
  cluster: string;
  /** Suspected of killing the process: nothing else starts while it runs. */
  suspect: boolean;
  /** No other enrichment has run beside it so far (as recorded in the store). */
  alone: boolean;
  done: Promise<void>;
}

/** The note of an alert whose enrichment was skipped because it crashed the service. */
export const POISON_NOTE =
  'enrichment was skipped: it crashed the service on the previous start (the process ended while this event was being enriched alone); look at the cluster with kubectl';

/**
 * The worker: claims accepted events (enrich → diagnose → route) and due deliveries (render → send →
 * record). All state lives in the store, so a crash at any point is resumed by the next process.
 * Enrichment runs in the background, a few events per cluster at a time, so that a slow cluster holds
 * back neither the events of other clusters nor the delivery of alerts already enriched.
 */
export class Worker {
  #deps: WorkerDeps;
  #clock: () => number;
  #random: () => number;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #pass: Promise<void> | null = null;
  #again = false;
  /** The error passes keep failing with, and how many failed since it was logged. */
  #failing: { message: string; passes: number } | null = null;
  #lastPassAt = 0;
  readonly #enriching = new Map<number, Enriching>();
  /** Aborted by stop(): enrichments in flight end at once and their events wait for the next start. */
  #stopping = new AbortController();

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? Date.now;
    this.#random = deps.random ?? Math.random;
  }

  /**
   * Start polling; leases held by a previous (crashed) process are released first (on SQLite, before
   * start returns; PgStore releases none, see PgStore.releaseLeases).
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopping = new AbortController();
    this.#pass = this.#releaseLeases().finally(() => {
      this.#pass = null;
      if (this.#running) this.#schedule(0);
    });
  }

  async #releaseLeases(): Promise<void> {
    try {
      const released = await this.#deps.store.releaseLeases(this.#clock());
      if (released > 0) this.#deps.logger.warn({ released }, 'resuming deliveries that were in flight when the previous process stopped');
    } catch (err) {
      // Not fatal: a lease still held runs out after worker.leaseMs, and its delivery is resumed then.
      this.#deps.logger.error({ err }, 'cannot release the leases of the previous process; their deliveries resume when the leases run out (worker.leaseMs)');
    }
  }

  /** Wake the worker now (an event was accepted). */
  notify(): void {
    if (!this.#running) return;
    if (this.#pass !== null) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  /**
   * Stop polling, stop the enrichments running (their events stay pending, not suspected, for the next
   * start: a shutdown must not wait out a slow cluster) and wait for the pass in progress.
   */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stopping.abort();
    await this.#pass;
    await this.idle();
  }

  /** Wait until no enrichment runs (their results are routed by then). */
  async idle(): Promise<void> {
    while (this.#enriching.size > 0) await Promise.all([...this.#enriching.values()].map((e) => e.done));
  }

  /** Alive when a pass finished recently. A pass no longer waits for enrichment, so a late one means a stuck send or a bug. */
  isAlive(now = this.#clock()): boolean {
    const limit = Math.max(5_000, this.#deps.config.worker.pollIntervalMs * 10) + this.#deps.config.worker.sendTimeoutMs;
    return this.#running && now - this.#lastPassAt < limit;
  }

  /** Liveness detail for /healthz and the metrics. */
  health(now = this.#clock()): WorkerHealth {
    return {
      running: this.#running,
      lastPassAt: this.#lastPassAt === 0 ? null : new Date(this.#lastPassAt).toISOString(),
      passing: this.isAlive(now),
      enriching: this.#enriching.size,
    };
  }

  #schedule(delay: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pass = this.runOnce()
        .then((worked) => {
          this.#pass = null;
          if (this.#failing !== null) {
            this.#deps.logger.info({ failedPasses: this.#failing.passes }, 'worker passes succeed again');
            this.#failing = null;
          }
          if (!this.#running) return;
          const busy = worked > 0 || this.#again;
          this.#again = false;
          this.#schedule(busy ? 0 : this.#deps.config.worker.pollIntervalMs);
        })
        .catch((err: unknown) => {
          this.#pass = null;
          // Once per distinct failure: a database that is down would otherwise log this every poll interval.
          const message = describeError(err);
          if (this.#failing?.message !== message) {
            this.#deps.logger.error({ err }, 'worker pass failed; retrying after the poll interval (logged again only if the error changes)');
            this.#failing = { message, passes: 0 };
          }
          this.#failing.passes += 1;
          if (this.#running) this.#schedule(this.#deps.config.worker.pollIntervalMs);
        });
    }, delay);
  }

  /**
   * One pass: route pending events that need no enrichment and start the enrichment of others (in the
   * background; each routes its event when done and wakes the worker), then send due deliveries. Returns
   * how many items it handled or started.
   */
  async runOnce(): Promise<number> {
    const events = await this.#takeEvents();
    const claimed = await this.#deps.store.claimDueDeliveries(this.#clock(), DELIVERIES_PER_PASS, this.#deps.config.worker.leaseMs);
    // One target's trouble must not hold up another's (fan-out isolation).
    const results = await Promise.allSettled(claimed.map((d) => this.#deliver(d)));
    results.forEach((result, i) => {
      // The send happened but its outcome could not be stored (disk full, read-only): the lease still
      // holds, so the delivery comes back when it runs out, and a Slack send finds its earlier post.
      if (result.status === 'rejected') {
        this.#deps.logger.error(
          { err: result.reason, delivery: claimed[i]?.id },
          'cannot record a delivery outcome in the store; it is retried when its lease (worker.leaseMs) runs out: check the data volume',
        );
      }
    });
    this.#lastPassAt = this.#clock();
    this.#deps.metrics.workerLastPass.set(this.#lastPassAt / 1000);
    return events + claimed.length;
  }

  /**
   * Route or start what the pending events allow. Events of one app keep their order (a resolution must
   * follow the alert it resolves): one that waits holds back the app's later ones. Enrichment runs at most
   * kubernetes.bounds.eventsPerCluster events at once per cluster. An event whose lone enrichment was cut
   * short by the process ending goes out without enrichment (it would crash every start); one that was cut
   * short beside others is retried alone first, once nothing else is being enriched.
   */
  async #takeEvents(): Promise<number> {
    const perCluster = new Map<string, number>();
    const blockedApps = new Set<string>();
    for (const e of this.#enriching.values()) {
      perCluster.set(e.cluster, (perCluster.get(e.cluster) ?? 0) + 1);
      blockedApps.add(e.app);
    }
    // While a suspect waits for the others to finish, nothing new starts.
    let exclusive = [...this.#enriching.values()].some((e) => e.suspect);
    const limit = this.#deps.config.kubernetes.bounds.eventsPerCluster;
    let handled = 0;
    let routed = 0;
    for (const pending of await this.#deps.store.pendingEvents(EVENTS_PER_PASS, [...this.#enriching.keys()])) {
      const app = appKey(pending.event);
      if (blockedApps.has(app)) continue;
      const enricher = this.#deps.enricher;
      if (enricher == null || pending.event.hooks.length === 0 || pending.enrichSoloAttempts > 0) {
        if (routed >= ROUTED_PER_PASS) {
          blockedApps.add(app);
          continue;
        }
        await this.#route(pending, pending.enrichSoloAttempts > 0 ? this.#poisonReport(pending) : null);
        routed += 1;
        handled += 1;
        continue;
      }
      const suspect = pending.enrichAttempts > 0;
      const cluster = clusterKey(pending.event);
      if (exclusive || (suspect && this.#enriching.size > 0) || (perCluster.get(cluster) ?? 0) >= limit) {
        if (suspect) exclusive = true;
        blockedApps.add(app);
        continue;
      }
      if (suspect) {
        this.#deps.logger.warn({ event: pending.id, attempts: pending.enrichAttempts }, 'the process ended while this event was being enriched; enriching it again, alone');
        exclusive = true;
      }
      this.#startEnrichment(pending, enricher, { app, cluster, suspect });
      perCluster.set(cluster, (perCluster.get(cluster) ?? 0) + 1);
      blockedApps.add(app);
      handled += 1;
    }
    return handled;
  }

  /**
   * Start an event's enrichment in the background. Each attempt is recorded first, with whether it runs
   * alone: a process that dies during a lone attempt names its culprit, one that dies while several ran
   * makes each of them a suspect, retried alone.
   */
  #startEnrichment(pending: PendingEvent, enricher: Enricher, where: { app: string; cluster: string; suspect: boolean }): void {
    const { store } = this.#deps;
    const nowShared: number[] = [];
    for (const [id, other] of this.#enriching) {
      if (!other.alone) continue;
      nowShared.push(id);
      other.alone = false;
    }
    const entry: Enriching = { ...where, alone: this.#enriching.size === 0, done: Promise.resolve() };
    const stopping = this.#stopping.signal;
    entry.done = (async () => {
      for (const id of nowShared) await store.markEnrichmentShared(id);
      // Recorded before any request of the enrichment leaves.
      await store.markEnrichmentStarted(pending.id, entry.alone);
      const report = await this.#enrich(pending, enricher, stopping);
      if (stopping.aborted) await store.markEnrichmentAbandoned(pending.id, entry.alone);
      else await this.#route(pending, report);
    })()
      .catch((err: unknown) => {
        // The event stays pending and is tried again on a later pass.
        this.#deps.logger.error({ err, event: pending.id }, 'cannot record the enrichment or routing of an event in the store; it is retried: check the data volume or the database');
      })
      .finally(() => {
        this.#enriching.delete(pending.id);
        this.notify();
      });
    this.#enriching.set(pending.id, entry);
  }

  #poisonReport(pending: PendingEvent): AlertReport {
    this.#deps.metrics.enrichPartial.inc({ what: 'all' });
    this.#deps.logger.error(
      { event: pending.id, incident: pending.incidentId, attempts: pending.enrichAttempts, app: appKey(pending.event) },
      'enrichment of this event killed the process, also when it ran alone: the alert goes out without cluster details',
    );
    return { hooks: [], notes: [POISON_NOTE], enrichedAt: new Date(this.#clock()).toISOString(), durationMs: 0 };
  }

  async #enrich(pending: PendingEvent, enricher: Enricher, stopping: AbortSignal): Promise<AlertReport> {
    const deadline = this.#deps.config.kubernetes.bounds.deadlineMs;
    const started = this.#clock();
    try {
      return await enricher.enrich(pending.event, { signal: AbortSignal.any([AbortSignal.timeout(deadline), stopping]) });
    } catch (err) {
      // Enrichment is best effort: the alert goes out with the reason instead of the details.
      this.#deps.metrics.enrichPartial.inc({ what: 'all' });
      this.#deps.logger.warn({ err, event: pending.id }, 'enrichment failed; the alert goes out without cluster details');
      return {
        hooks: [],
        notes: [`cluster details unavailable: ${describeError(err)}`],
        enrichedAt: new Date(this.#clock()).toISOString(),
        durationMs: this.#clock() - started,
      };
    }
  }

  async #route(pending: PendingEvent, report: AlertReport | null): Promise<void> {
    const { store, router, logger } = this.#deps;
    const event = pending.event;
    let findings: Finding[] = [];
    if (report !== null && this.#deps.diagnose != null) {
      findings = this.#deps.diagnose(report);
      for (const f of findings) this.#deps.metrics.findings.inc({ id: f.id });
    }
    const kind = deliveryKindOf(event);
    let deliveries: NewDelivery[];
    if (event.kind === 'sync-succeeded') {
      if (report !== null) await this.#raiseSkipped(pending, report);
      // A resolution goes where the incident's alerts went, so it lands in the same threads.
      deliveries = [];
      for (const incidentId of await store.incidentsResolvedBy(pending.id)) {
        for (const target of await store.targetsOfIncident(incidentId)) deliveries.push({ incidentId, target, kind });
      }
    } else {
      deliveries = router.targets(event).map((target) => ({ incidentId: pending.incidentId, target, kind }));
    }
    if (deliveries.length === 0) {
      logger.warn(
        { event: pending.id, incident: pending.incidentId, app: `${event.app.namespace}/${event.app.name}` },
        'no delivery target for this event: configure a route or a sink (SLACK_CHANNEL, EMAIL_TO, file sink)',
      );
    }
    await store.routeEvent(pending.id, report, findings, deliveries, this.#clock());
  }

  /**
   * A successful sync whose hook Jobs predate it did not run them (argo-cd#25475): the warning is a new
   * event of its own, stored (deduped by its hooks) and then enriched, routed and delivered like any other.
   */
  async #raiseSkipped(pending: PendingEvent, report: AlertReport): Promise<void> {
    const skipped = skippedHookEvent(pending.event, report, new Date(this.#clock()));
    if (skipped === null) return;
    const result = await this.#deps.store.acceptEvent(skipped, eventDedupeKey(skipped), this.#clock());
    this.#deps.logger.warn({ event: pending.id, app: `${skipped.app.namespace}/${skipped.app.name}`, hooks: skipped.hooks.map((h) => h.name), result }, 'hook-skipped event raised: a hook Job of this successful sync was left over from an earlier one');
    this.notify();
  }

  async #send(sink: Sink, d: ClaimedDelivery, address: string): Promise<SinkOutcome> {
    // The one place every outbound text passes: each sink (Slack, email, file, and send-test) renders only
    // this Alert, and nothing else reaches a sink. Scrubbing here, rather than at each source, covers the
    // webhook body (operationState.message, hook messages: Kubernetes validation errors echo env values),
    // the report (logs, container and event messages, pod names, notes) and the findings alike, whatever a
    // renderer picks from them. Enrichment scrubs too, so that captures and reports are stored without
    // secrets; scrubbing is idempotent, so the second pass changes nothing it already hid.
    const { scrub } = this.#deps;
    const alert: Alert = {
      incidentId: d.incidentId,
      deliveryKind: d.kind,
      event: scrubDeep(d.event, scrub),
      report: d.report === null ? null : scrubDeep(d.report, scrub),
      findings: scrubDeep(d.findings, scrub),
      ...(this.#deps.incidentUrl === undefined ? {} : { incidentUrl: this.#deps.incidentUrl(d.incidentId, this.#clock()) }),
    };
    const route = this.#deps.router.options(d.event, d.target, { kind: d.kind, threadRootRef: d.threadRootRef });
    // The sinks come wrapped (src/deliver/sink-wrappers.ts): a send that hangs or throws is a retryable outcome.
    return sink.send({ deliveryId: d.id, address, attempt: d.attempts, alert, threadRootRef: d.threadRootRef, resumed: d.resumed, firstAttemptAt: d.firstAttemptAt, route });
  }

  async #deliver(d: ClaimedDelivery): Promise<void> {
    const { store, logger, metrics, config } = this.#deps;
    const { sink: sinkName, address } = parseTarget(d.target);
    const sink = this.#deps.sinks.get(sinkName);
    const log = logger.child({ delivery: d.id, incident: d.incidentId, target: d.target, kind: d.kind, attempt: d.attempts });
    const outcome: SinkOutcome =
      sink === undefined
        ? { status: 'retryable', error: `the ${sinkName} sink is not configured in this process; configure it to send this delivery` }
        : await this.#send(sink, d, address);
    const now = this.#clock();
    if (outcome.status === 'sent') {
      await store.markSent(d.id, outcome.ref, now);
      metrics.deliveries.inc({ sink: sinkName, outcome: 'sent' });
      metrics.deliveryLatency.observe({ sink: sinkName }, (now - d.createdAt) / 1000);
      log.info({ ref: outcome.ref }, 'delivered');
      return;
    }
    if (outcome.status === 'failed') {
      await store.markGivenUp(d.id, 'failed', outcome.error, now);
      metrics.deliveries.inc({ sink: sinkName, outcome: 'failed' });
      log.error({ error: outcome.error }, 'delivery failed permanently; fix the cause named here, it will not be retried');
      return;
    }
    const delay = outcome.retryInMs ?? nextRetryDelayMs(d.attempts, config.worker.retry, this.#random);
    // Counted from the last replay when there was one: a replayed delivery gets the whole age limit again.
    if (now + delay - d.ageFrom > config.worker.retry.maxAgeMs) {
      const error = `gave up after ${d.attempts} attempts over ${Math.round((now - d.ageFrom) / 1000)} s: ${outcome.error}`;
      await store.markGivenUp(d.id, 'dead', error, now);
      metrics.deliveries.inc({ sink: sinkName, outcome: 'dead' });
      log.error({ error }, 'delivery is dead: it outlived worker.retry.maxAgeMs');
      return;
    }
    await store.markRetry(d.id, outcome.error, now + delay, now);
    metrics.deliveries.inc({ sink: sinkName, outcome: 'retry' });
    metrics.retries.inc({ sink: sinkName, reason: outcome.retryInMs === undefined ? 'error' : 'rate_limited' });
    log.warn({ error: outcome.error, retryInMs: delay }, 'delivery will be retried');
  }
}
