import { setInterval as every } from 'node:timers';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { AlertStore } from '../store/alert-store.js';
import type { Metrics } from '../metrics.js';
import { Worker, type WorkerHealth } from '../worker/worker.js';
import type { Enrichment } from '../enrich/enrichment.js';
import { ENRICHMENT_OFF_WARNING, enrichmentMayRun } from '../enrich/kube-config-source.js';
import { diagnoseReport } from '../diagnose/diagnose-report.js';
import { createRouter } from '../route/route-alert.js';
import { buildSinks } from '../deliver/sink-selection.js';
import { wrapSinks, type StartTimeout } from '../deliver/sink-wrappers.js';
import type { Sink, SinkName } from '../model/sink.js';
import type { Router } from '../model/pipeline.js';
import { createScrubber } from '../scrub/scrub.js';
import { hookFailedEventsOf } from '../intake/application-event.js';
import { DELETE_HOOK_TRIGGER, TRIGGER_NAMES } from '../argocd/notifications-config.js';
import { incidentPageEnabled } from '../intake/server-config.js';
import { incidentUrl } from '../incident-page/signed-link.js';
import { CloseStack, unwind } from './close-stack.js';

const SWEEP_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The metrics a pipeline counts, as `registry.getMetricsAsJSON()` gives them: what a thread sends to /metrics. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The worker's liveness as /healthz reports it, or why no worker runs. */
export type PipelineHealth = WorkerHealth | string;

/**
 * Everything after intake: enrichment and the cluster watchers, diagnosis, routing, rendering and the
 * sinks, driven by the worker. Intake holds only this handle, whether the pipeline runs on its event loop
 * or in a thread of its own (PipelineThread).
 */
export interface DeliveryPipeline {
  /** Resolves once the pipeline's parts are open; rejects with what failed (a thread's start is awaited after intake listens). */
  ready(): Promise<void>;
  /** Start the worker (unless worker.enabled is false), the cluster watchers and the retention sweep. */
  start(): void;
  /** Wake the worker: an event was accepted or a delivery replayed. */
  notify(): void;
  /** The worker's liveness, for /healthz; not alive means only a restart helps (its thread is stuck or gone). */
  health(): Promise<{ alive: boolean; worker: PipelineHealth }>;
  /** False once the pipeline can no longer deliver (its thread ended); readiness reports it. */
  isAlive(): boolean;
  /** Series counted in a registry other than intake's (a thread's own), merged into /metrics; none inline. */
  foreignMetrics(): Promise<MetricsJson>;
  /** Stop the worker (the current delivery finishes), the watchers and the sinks; runs once. */
  close(): Promise<void>;
}

/** What a pipeline is built from besides the config. */
export interface PipelineDeps {
  store: AlertStore;
  logger: Logger;
  metrics: Metrics;
  /** The sinks to build (the config's, or the one `send-test` is asked for). */
  sinkNames: ReadonlySet<SinkName>;
  /** Milliseconds since the epoch; default Date.now. Tests step it instead of waiting. */
  clock?: () => number;
  /** Backoff jitter in [0, 1); default Math.random. */
  random?: () => number;
  /** Where enrichment looks for a kubeconfig and Slack for its proxy; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How a send's timeout is timed; default a timer. Tests expire it themselves. */
  sendTimeout?: StartTimeout;
}

/** A pipeline on the caller's event loop, with its parts in reach (tests, `send-test`). */
export interface InlinePipeline extends DeliveryPipeline {
  worker: Worker;
  /** null when enrichment is off. */
  enrichment: Enrichment | null;
  router: Router;
  sinks: ReadonlyMap<SinkName, Sink>;
}

/** How alerts link to the incident page: only when it is on and the service has a public URL. */
function alertLinks(config: Config): { incidentUrl?: (incidentId: string, now: number) => string } {
  const { publicUrl, linkSigningKey, linkTtlHours } = config.server;
  if (publicUrl === undefined || !incidentPageEnabled(config.server)) return {};
  return { incidentUrl: (id, now) => incidentUrl(publicUrl, linkSigningKey, id, now, linkTtlHours * HOUR_MS) };
}

/**
 * The heap of the thread the pipeline runs on, read at scrape time: with the pipeline in its thread, the
 * process metrics (`hook_alerts_nodejs_heap_*`) describe the HTTP thread only, and this heap is the one
 * that holds enrichments and alerts.
 */
function countPipelineHeap(metrics: Metrics): void {
  // A registry given to a second pipeline (a test restarting the service on one Metrics) has it already.
  if (metrics.registry.getSingleMetric('hook_alerts_pipeline_heap_bytes') !== undefined) return;
  new Gauge({
    name: 'hook_alerts_pipeline_heap_bytes',
    help: 'V8 heap of the thread running the worker, enrichment and the sinks (used, total, limit); on one event loop, the one heap',
    labelNames: ['kind'] as const,
    aggregator: 'max',
    registers: [metrics.registry],
    collect() {
      const heap = getHeapStatistics();
      this.set({ kind: 'used' }, heap.used_heap_size);
      this.set({ kind: 'total' }, heap.total_heap_size);
      this.set({ kind: 'limit' }, heap.heap_size_limit);
    },
  });
}

/** Enrichment for the configured clusters, or null when no cluster can be read (warned about). */
async function createEnrichmentIfPossible(config: Config, deps: PipelineDeps, env: NodeJS.ProcessEnv, wake: () => void): Promise<Enrichment | null> {
  const { logger } = deps;
  let enrichment: Enrichment | null = null;
  if (enrichmentMayRun(config.kubernetes, env)) {
    // Loaded only when a cluster can be read: a service without one does not carry the enrichment modules.
    const { createEnrichment } = await import('../enrich/enrichment.js');
    const backstop = config.kubernetes.backstop;
    // Throws a config error for a configured cluster whose kubeconfig cannot be loaded: fail at start.
    enrichment = createEnrichment(config, {
      store: deps.store,
      logger: logger.child({ component: 'enrich' }),
      metrics: deps.metrics,
      onEventAccepted: wake,
      env,
      sharedStore: deps.store.kind === 'postgres',
      // The watch derives the webhook's own event (intake's normalization), so that both dedupe as one.
      backstopEventsOf: (app, receivedAt) =>
        hookFailedEventsOf(app, {
          hookTypes: config.hooks.types,
          serviceName: backstop.serviceName,
          triggers: [TRIGGER_NAMES['hook-failed'], DELETE_HOOK_TRIGGER],
          defaultRecipient: backstop.defaultRecipient,
          argocdUrl: backstop.argocdUrl,
          receivedAt,
        }),
    });
  } else if (config.kubernetes.enabled === 'auto') {
    logger.warn(ENRICHMENT_OFF_WARNING);
  }
  if (enrichment === null && config.kubernetes.backstop.enabled) {
    logger.warn('kubernetes.backstop.enabled is true, but Kubernetes is off: the Application backstop does not run, alerts come from the webhook only');
  }
  return enrichment;
}

/** Wire sinks, enrichment, router and worker on this event loop; nothing runs until start(). */
export async function createDeliveryPipeline(config: Config, deps: PipelineDeps): Promise<InlinePipeline> {
  const { logger, metrics, store } = deps;
  const clock = deps.clock ?? Date.now;
  const env = deps.env ?? process.env;
  const closers = new CloseStack();
  try {
    const sinks = wrapSinks(buildSinks(config, deps.sinkNames, { logger, metrics, emailAttempts: store.emailAttempts(), clock, env }), {
      timeoutMs: config.worker.sendTimeoutMs,
      metrics,
      logger: logger.child({ component: 'worker' }),
      ...(deps.sendTimeout === undefined ? {} : { startTimeout: deps.sendTimeout }),
    });
    for (const sink of sinks.values()) closers.push(() => sink.close());
    const enrichment = await createEnrichmentIfPossible(config, deps, env, () => worker.notify());
    if (enrichment !== null) closers.push(() => enrichment.stop());
    const router = createRouter(config.routing, deps.sinkNames);
    const worker = new Worker({
      config,
      store,
      sinks,
      router,
      diagnose: diagnoseReport,
      enricher: enrichment?.enricher ?? null,
      logger: logger.child({ component: 'worker' }),
      metrics,
      scrub: createScrubber(config.scrub.patterns),
      clock,
      ...(deps.random === undefined ? {} : { random: deps.random }),
      ...alertLinks(config),
    });
    closers.push(() => worker.stop());
    countPipelineHeap(metrics);

    const start = (): void => {
      enrichment?.start();
      if (config.worker.enabled) worker.start();
      else logger.warn('worker.enabled is false: events are accepted and stored, nothing is delivered');
      const sweep = every(() => {
        try {
          void Promise.resolve(store.sweep(clock(), config.store.retentionDays * DAY_MS)).then(
            (removed) => {
              if (removed > 0) logger.info({ removed }, 'retention sweep');
            },
            (err: unknown) => logger.error({ err }, 'retention sweep failed'),
          );
        } catch (err) {
          logger.error({ err }, 'retention sweep failed');
        }
      }, SWEEP_INTERVAL_MS);
      sweep.unref();
      closers.push(() => clearInterval(sweep));
    };
    let closing: Promise<void> | null = null;
    return {
      worker,
      enrichment,
      router,
      sinks,
      start,
      notify: () => worker.notify(),
      ready: () => Promise.resolve(),
      // On the HTTP thread: if this answers at all, the pipeline's event loop is not blocked.
      health: () => Promise.resolve({ alive: true, worker: config.worker.enabled ? worker.health() : 'disabled (worker.enabled: false)' }),
      isAlive: () => true,
      foreignMetrics: () => Promise.resolve([]),
      close: () => (closing ??= closers.close()),
    };
  } catch (err) {
    return unwind(() => closers.close(), err, logger);
  }
}
