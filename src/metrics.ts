import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, on a registry of its own so that tests can run several services. The
 * pipeline thread keeps a registry of its own too; /metrics merges them (prom-client's aggregation): counters
 * and histograms add up, and a gauge takes the larger value, since each gauge is set by one thread only.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'hook_alerts_http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'hook_alerts_events_total',
    help: 'Webhook events by outcome: accepted, duplicate, ignored, rejected',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'hook_alerts_deliveries_total',
    help: 'Delivery attempts by sink and outcome: sent, retry, failed (permanent error), dead (gave up)',
    labelNames: ['sink', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'hook_alerts_delivery_latency_seconds',
    help: 'Time from accepting an event to its delivery being sent, by sink',
    labelNames: ['sink'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });
  readonly sinkSendDuration = new Histogram({
    name: 'hook_alerts_sink_send_seconds',
    help: 'How long one send to a sink took, by sink and outcome (sent, retryable, failed); timed-out sends are not in it',
    labelNames: ['sink', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'hook_alerts_retries_total',
    help: 'Deliveries put back for another attempt, by sink and reason',
    labelNames: ['sink', 'reason'] as const,
    registers: [this.registry],
  });
  readonly enrichPartial = new Counter({
    name: 'hook_alerts_enrich_partial_total',
    help: 'Enrichments that could not read something, by what was missing',
    labelNames: ['what'] as const,
    registers: [this.registry],
  });
  readonly findings = new Counter({
    name: 'hook_alerts_findings_total',
    help: 'Diagnosis findings by rule id',
    labelNames: ['id'] as const,
    registers: [this.registry],
  });
  readonly workerLastPass = new Gauge({
    name: 'hook_alerts_worker_last_pass_timestamp_seconds',
    help: 'When the delivery worker last finished a pass (Unix time); enrichment runs beside it and does not delay it',
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'hook_alerts_queue_depth',
    help: 'Work not finished yet: events to route and deliveries to send',
    labelNames: ['queue'] as const,
    aggregator: 'max',
    registers: [this.registry],
  });

  readonly oldestDeliveryAge = new Gauge({
    name: 'hook_alerts_oldest_pending_delivery_age_seconds',
    help: 'How long the oldest delivery not finished yet (pending or being sent) has waited since it was queued or replayed; 0 when none waits',
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly captureWatchUp = new Gauge({
    name: 'hook_alerts_capture_watch_up',
    help: '1 while the hook pod watch of a cluster (and namespace) is synced and streaming, 0 while it fails and retries; absent on replicas that do not run the watchers',
    labelNames: ['cluster', 'watched_namespace'] as const,
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly kubeApiErrors = new Counter({
    name: 'hook_alerts_kube_api_errors_total',
    help: 'Failed Kubernetes API calls by cluster and kind (forbidden, unreachable, timeout, ...); reads of objects that are gone are not failures',
    labelNames: ['cluster', 'kind'] as const,
    registers: [this.registry],
  });
  readonly backstopWatchUp = new Gauge({
    name: 'hook_alerts_backstop_watch_up',
    help: '1 while the Application backstop watch of a namespace is synced and streaming, 0 while it fails and retries (403: the RBAC is not granted); absent when the backstop is off or this replica does not run the watchers',
    labelNames: ['cluster', 'watched_namespace'] as const,
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly backstopEvents = new Counter({
    name: 'hook_alerts_backstop_events_total',
    help: "Failed hook operations the Application backstop found, by outcome: accepted (the watch saw it before Argo CD's webhook, or Argo CD never sent it), duplicate (the webhook had already delivered it)",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly watchersLeader = new Gauge({
    name: 'hook_alerts_watchers_leader',
    help: '1 while this replica runs the capture and stuck-hook watchers (it holds their Lease, or no election runs), else 0',
    aggregator: 'max',
    registers: [this.registry],
  });

  readonly buildInfo = new Gauge({
    name: 'hook_alerts_build_info',
    help: 'Always 1; the labels say which version runs on which Node.js',
    labelNames: ['version', 'node_version'] as const,
    aggregator: 'max',
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'hook_alerts_' });
  }

  /**
   * Every series an alert rule reads exists from the start, at 0: `increase()` over a counter born at its
   * first increment misses that increment, so the first dead delivery after a restart would never alert.
   */
  startAtZero(known: MetricLabelValues): void {
    this.buildInfo.set({ version: known.version, node_version: process.version }, 1);
    for (const outcome of EVENT_OUTCOMES) this.events.inc({ outcome }, 0);
    for (const sink of known.sinks) {
      for (const outcome of DELIVERY_OUTCOMES) this.deliveries.inc({ sink, outcome }, 0);
      for (const reason of RETRY_REASONS) this.retries.inc({ sink, reason }, 0);
      this.deliveryLatency.zero({ sink });
    }
    for (const what of known.missing) this.enrichPartial.inc({ what }, 0);
    for (const id of known.findingIds) this.findings.inc({ id }, 0);
  }
}

/** The label values known at start-up, for `Metrics#startAtZero`. */
export interface MetricLabelValues {
  version: string;
  sinks: readonly string[];
  /** What an enrichment can miss (enrich's MissingWhat, and 'all'). */
  missing: readonly string[];
  findingIds: readonly string[];
}

const EVENT_OUTCOMES = ['accepted', 'duplicate', 'ignored', 'rejected'] as const;
const DELIVERY_OUTCOMES = ['sent', 'retry', 'failed', 'dead'] as const;
const RETRY_REASONS = ['error', 'rate_limited'] as const;
