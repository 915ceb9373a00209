import type { Logger } from 'pino';
import type { SqliteStore, ClaimedDelivery, NewDelivery, PendingEvent } from '../store/sqlite-store.js';
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

/** What the worker reads of the config: its own section, and how long one enrichment may take. */
export interface WorkerSettings {
  worker: WorkerConfig;
  kubernetes: { bounds: Pick<EnrichBounds, 'deadlineMs'> };
}

export interface WorkerDeps {
  config: WorkerSettings;
  store: SqliteStore;
  sinks: ReadonlyMap<SinkName, Sink>;
  router: Router;
  enricher?: Enricher | null;
  diagnose?: Diagnoser | null;
  logger: Logger;
  metrics: Metrics;
  clock?: () => number;
  random?: () => number;
  /**
   * Starts the timeout of one send: `expire` runs after `ms` unless the returned cancel runs first. A
   * timer by default; tests expire it when the send they made hang is known to hang.
   */
  sendTimeout?: (ms: number, expire: () => void) => () => void;
}

/** The default send timeout: a timer. */
function timerTimeout(ms: number, expire: () => void): () => void {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
}

const EVENTS_PER_PASS = 16;
// Sends in flight at once: each holds its alert (report, rendered Slack message, MIME mail) in memory, so this
// bounds the worker's share of the memory budget (16 measured ~5 MiB more peak RSS than 8); Slack allows
// ~1 post per second per channel anyway.
const DELIVERIES_PER_PASS = 8;

/**
 * The worker: claims accepted events (enrich → diagnose → route) and due deliveries (render → send →
 * record). All state lives in the store, so a crash at any point is resumed by the next process.
 */
export class Worker {
  #deps: WorkerDeps;
  #clock: () => number;
  #random: () => number;
  #sendTimeout: (ms: number, expire: () => void) => () => void;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #pass: Promise<void> | null = null;
  #again = false;
  #lastTickAt = 0;

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? Date.now;
    this.#random = deps.random ?? Math.random;
    this.#sendTimeout = deps.sendTimeout ?? timerTimeout;
  }

  /** Start polling; leases held by a previous (crashed) process are released first. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const released = this.#deps.store.releaseLeases(this.#clock());
    if (released > 0) this.#deps.logger.warn({ released }, 'resuming deliveries that were in flight when the previous process stopped');
    this.#schedule(0);
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

  /** Stop polling and wait for the pass in progress (the current delivery) to finish. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pass;
  }

  /** Alive when a pass finished recently (readiness). */
  isAlive(now = this.#clock()): boolean {
    const limit = Math.max(5_000, this.#deps.config.worker.pollIntervalMs * 10) + this.#deps.config.worker.sendTimeoutMs;
    return this.#running && now - this.#lastTickAt < limit;
  }

  #schedule(delay: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pass = this.runOnce()
        .then((worked) => {
          this.#pass = null;
          if (!this.#running) return;
          const busy = worked > 0 || this.#again;
          this.#again = false;
          this.#schedule(busy ? 0 : this.#deps.config.worker.pollIntervalMs);
        })
        .catch((err: unknown) => {
          this.#pass = null;
          this.#deps.logger.error({ err }, 'worker pass failed; retrying after the poll interval');
          if (this.#running) this.#schedule(this.#deps.config.worker.pollIntervalMs);
        });
    }, delay);
  }

  /** One pass: route pending events, then send due deliveries. Returns how many items it handled. */
  async runOnce(): Promise<number> {
    this.#lastTickAt = this.#clock();
    const events = this.#deps.store.pendingEvents(EVENTS_PER_PASS);
    for (const pending of events) await this.#routeEvent(pending);
    const claimed = this.#deps.store.claimDueDeliveries(this.#clock(), DELIVERIES_PER_PASS, this.#deps.config.worker.leaseMs);
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
    this.#lastTickAt = this.#clock();
    return events.length + claimed.length;
  }

  async #enrich(pending: PendingEvent): Promise<AlertReport | null> {
    const enricher = this.#deps.enricher;
    if (enricher == null || pending.event.hooks.length === 0) return null;
    const deadline = this.#deps.config.kubernetes.bounds.deadlineMs;
    const started = this.#clock();
    try {
      return await enricher.enrich(pending.event, { signal: AbortSignal.timeout(deadline) });
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

  async #routeEvent(pending: PendingEvent): Promise<void> {
    const { store, router, logger } = this.#deps;
    const event = pending.event;
    const report = await this.#enrich(pending);
    let findings: Finding[] = [];
    if (report !== null && this.#deps.diagnose != null) {
      findings = this.#deps.diagnose(report);
      for (const f of findings) this.#deps.metrics.findings.inc({ id: f.id });
    }
    const kind = deliveryKindOf(event);
    let deliveries: NewDelivery[];
    if (event.kind === 'sync-succeeded') {
      // A resolution goes where the incident's alerts went, so it lands in the same threads.
      deliveries = store
        .incidentsResolvedBy(pending.id)
        .flatMap((incidentId) => store.targetsOfIncident(incidentId).map((target) => ({ incidentId, target, kind })));
    } else {
      deliveries = router.targets(event).map((target) => ({ incidentId: pending.incidentId, target, kind }));
    }
    if (deliveries.length === 0) {
      logger.warn(
        { event: pending.id, incident: pending.incidentId, app: `${event.app.namespace}/${event.app.name}` },
        'no delivery target for this event: configure a route or a sink (SLACK_CHANNEL, EMAIL_TO, file sink)',
      );
    }
    store.routeEvent(pending.id, report, findings, deliveries, this.#clock());
  }

  async #send(sink: Sink, d: ClaimedDelivery, address: string): Promise<SinkOutcome> {
    const alert: Alert = {
      incidentId: d.incidentId,
      deliveryKind: d.kind,
      event: d.event,
      report: d.report,
      findings: d.findings,
    };
    const route = this.#deps.router.options(d.event, d.target, { kind: d.kind, threadRootRef: d.threadRootRef });
    const timeoutMs = this.#deps.config.worker.sendTimeoutMs;
    let cancelTimeout = (): void => undefined;
    const timeout = new Promise<SinkOutcome>((resolve) => {
      cancelTimeout = this.#sendTimeout(timeoutMs, () => resolve({ status: 'retryable', error: `no answer within ${timeoutMs} ms` }));
    });
    try {
      return await Promise.race([
        sink.send({ deliveryId: d.id, address, attempt: d.attempts, alert, threadRootRef: d.threadRootRef, resumed: d.resumed, firstAttemptAt: d.firstAttemptAt, route }),
        timeout,
      ]);
    } catch (err) {
      // A sink should return outcomes; a throw is a bug in it, retried so that the alert is not lost.
      this.#deps.logger.error({ err, delivery: d.id }, 'sink threw instead of returning an outcome');
      return { status: 'retryable', error: `sink error: ${describeError(err)}` };
    } finally {
      cancelTimeout();
    }
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
      store.markSent(d.id, outcome.ref, now);
      metrics.deliveries.inc({ sink: sinkName, outcome: 'sent' });
      metrics.deliveryLatency.observe({ sink: sinkName }, (now - d.createdAt) / 1000);
      log.info({ ref: outcome.ref }, 'delivered');
      return;
    }
    if (outcome.status === 'failed') {
      store.markGivenUp(d.id, 'failed', outcome.error, now);
      metrics.deliveries.inc({ sink: sinkName, outcome: 'failed' });
      log.error({ error: outcome.error }, 'delivery failed permanently; fix the cause named here, it will not be retried');
      return;
    }
    const delay = outcome.retryInMs ?? nextRetryDelayMs(d.attempts, config.worker.retry, this.#random);
    if (now + delay - d.createdAt > config.worker.retry.maxAgeMs) {
      const error = `gave up after ${d.attempts} attempts over ${Math.round((now - d.createdAt) / 1000)} s: ${outcome.error}`;
      store.markGivenUp(d.id, 'dead', error, now);
      metrics.deliveries.inc({ sink: sinkName, outcome: 'dead' });
      log.error({ error }, 'delivery is dead: it outlived worker.retry.maxAgeMs');
      return;
    }
    store.markRetry(d.id, outcome.error, now + delay, now);
    metrics.deliveries.inc({ sink: sinkName, outcome: 'retry' });
    metrics.retries.inc({ sink: sinkName, reason: outcome.retryInMs === undefined ? 'error' : 'rate_limited' });
    log.warn({ error: outcome.error, retryInMs: delay }, 'delivery will be retried');
  }
}
