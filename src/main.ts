import type { FastifyInstance } from 'fastify';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { AlertStore } from './store/alert-store.js';
import { Metrics } from './metrics.js';
import { buildApp } from './intake/build-app.js';
import { InlineGroupCommit, ThreadedGroupCommit, type EventCommitter } from './store/intake-writer.js';
import type { Worker } from './worker/worker.js';
import type { Enrichment } from './enrich/enrichment.js';
import { enrichmentMayRun } from './enrich/kube-config-source.js';
import { enabledSinkNames } from './deliver/enabled-sinks.js';
import type { StartTimeout } from './deliver/sink-wrappers.js';
import type { Sink, SinkName } from './model/sink.js';
import type { Router } from './model/pipeline.js';
import { errors } from './errors.js';
import { incidentPageEnabled } from './intake/server-config.js';
import { viewerToken, webhookToken } from './intake/webhook-token.js';
import { incidentRoutes } from './incident-page/incident-routes.js';
import { PageAccess } from './incident-page/page-access.js';
import { CloseStack, unwind } from './pipeline/close-stack.js';
import { openStore, storeIsShareable } from './pipeline/open-store.js';
import { startMetricsAtZero } from './pipeline/metric-labels.js';
import type { DeliveryPipeline, InlinePipeline } from './pipeline/delivery-pipeline.js';
import { PipelineThread } from './pipeline/pipeline-thread-client.js';

/** What the service is built with besides its config: the logger, and what tests replace. */
export interface ServiceOptions {
  logger: Logger;
  /** Milliseconds since the epoch; default Date.now. Tests step it instead of waiting. */
  clock?: () => number;
  /** Backoff jitter in [0, 1); default Math.random. */
  random?: () => number;
  /** Where enrichment looks for a kubeconfig (KUBECONFIG, HOME, the in-cluster variables) and Slack for HTTPS_PROXY/NO_PROXY; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The sinks to build instead of those the config turns on (`send-test` builds the one it is asked for). */
  sinkNames?: ReadonlySet<SinkName>;
  /** Default: a registry of its own with the process metrics. */
  metrics?: Metrics;
  /** How a send's timeout is timed; default a timer. Tests expire it themselves. */
  sendTimeout?: StartTimeout;
}

/** What every form of the service holds: intake and its store, and a handle on the delivery pipeline. */
export interface ServiceCore {
  app: FastifyInstance;
  /** SqliteStore in dataDir, or PgStore when store.postgres.url is set. */
  store: AlertStore;
  /** Intake's metrics (inline: the pipeline's too). */
  metrics: Metrics;
  pipeline: DeliveryPipeline;
  /** Listen, then start the pipeline (worker, cluster watchers, retention sweep); returns http://host:port. */
  listen(): Promise<string>;
  /** Stop accepting, finish in-flight requests and the current delivery, close the store; runs once. */
  close(): Promise<void>;
}

/** The whole service on one event loop, not yet listening: what `send-test` and most tests hold. */
export interface Service extends ServiceCore {
  pipeline: InlinePipeline;
  worker: Worker;
  router: Router;
  sinks: ReadonlyMap<SinkName, Sink>;
  /** null when enrichment is off. */
  enrichment: Enrichment | null;
}

/** A listening service, as `serve` and the end-to-end tests hold it. */
export interface RunningService extends ServiceCore {
  /** http://host:port the service listens on. */
  url: string;
  /** Settles with the error if the pipeline thread ends while the service runs; `serve` then exits non-zero. */
  pipelineCrash: Promise<Error>;
}

/** Listen, or throw one clear error naming host:port and the cause, in place of the bare socket error. */
async function listenOrExplain(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('E')) throw err;
    throw Object.assign(errors.listenFailed(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, code), { cause: err });
  }
}

/** What the pipeline is built from: the store intake opened, and the metrics and sinks of the service. */
interface PipelineContext {
  store: AlertStore;
  metrics: Metrics;
  sinkNames: ReadonlySet<SinkName>;
}

/**
 * The composition root: open the store, build intake and the incident page around the pipeline that
 * `makePipeline` gives (on this event loop or in a thread of its own), without listening.
 */
async function assembleService<P extends DeliveryPipeline>(
  config: Config,
  opts: ServiceOptions,
  makePipeline: (ctx: PipelineContext) => Promise<P>,
): Promise<ServiceCore & { pipeline: P }> {
  const { logger } = opts;
  const clock = opts.clock ?? Date.now;
  const env = opts.env ?? process.env;
  const closers = new CloseStack();
  try {
    const store = await openStore(config, logger);
    closers.push(() => store.close());
    const metrics = opts.metrics ?? new Metrics();
    const sinkNames = opts.sinkNames ?? enabledSinkNames(config);
    startMetricsAtZero(metrics, sinkNames);
    // A pipeline thread loads and opens its parts while this thread builds intake; listen() waits for it.
    const pipeline = await makePipeline({ store, metrics, sinkNames });
    closers.push(() => pipeline.close());
    // A SQLite file gets a writer thread, so that fsyncs do not stall the HTTP event loop; PostgreSQL's
    // commits wait on the network, and the event loop serves other requests meanwhile.
    const writer = store instanceof SqliteStore && store.file !== ':memory:' ? await ThreadedGroupCommit.start(store.file) : null;
    const committer: EventCommitter = writer ?? new InlineGroupCommit(store);
    closers.push(() => committer.close());
    const enrichmentRuns = enrichmentMayRun(config.kubernetes, env);
    const webhook = config.server.insecureNoAuth ? null : webhookToken(config.server, clock, logger);
    const app = buildApp({
      config,
      store,
      logger,
      metrics,
      clock: () => new Date(clock()),
      onAccepted: () => pipeline.notify(),
      committer,
      markSeenBy: enrichmentRuns && config.kubernetes.backstop.enabled,
      // One reader of HOOK_ALERTS_TOKEN_FILE for intake and the incident page (which refuses the webhook
      // token): a rotation is read and logged once.
      webhookToken: webhook,
      checkSucceededHooks: enrichmentRuns,
      // Ready means "can accept webhooks": a slow cluster or a stuck send must not take the pod out of the
      // Service (Argo CD's webhooks would fail); the worker's liveness is reported on /healthz instead.
      readiness: [
        () => (writer === null || writer.isAlive() ? { ok: true } : { ok: false, reason: 'the intake writer thread has stopped' }),
        () => (pipeline.isAlive() ? { ok: true } : { ok: false, reason: 'the pipeline thread has stopped' }),
      ],
      health: async () => {
        const { alive, worker } = await pipeline.health();
        return { alive, detail: { worker } };
      },
      foreignMetrics: () => pipeline.foreignMetrics(),
    });
    closers.push(() => app.close());
    // Off unless a way in is configured: without one, every request would be refused anyway.
    if (incidentPageEnabled(config.server)) {
      void app.register(incidentRoutes, {
        store,
        access: new PageAccess(config.server, webhook, viewerToken(config.server, clock, logger)),
        publicUrl: config.server.publicUrl,
        clock,
        onReplayed: () => pipeline.notify(),
      });
    }

    const listen = async (): Promise<string> => {
      const url = await listenOrExplain(app, config.server.host, config.server.port);
      // Webhooks are accepted (and committed) from here on; a pipeline still starting delivers them once
      // it is up. A pipeline that cannot start fails the start, and the caller closes what was opened.
      pipeline.start();
      await pipeline.ready();
      logger.info({ url, sinks: [...sinkNames], store: store.kind, location: store.location }, 'argocd-hook-alerts is listening');
      return url;
    };
    let closing: Promise<void> | null = null;
    return { app, store, metrics, pipeline, listen, close: () => (closing ??= closers.close()) };
  } catch (err) {
    return unwind(() => closers.close(), err, logger);
  }
}

/** The service with its pipeline on this event loop and its parts in reach, not listening (`send-test`, tests). */
export async function createService(config: Config, opts: ServiceOptions): Promise<Service> {
  // Loaded here: with the pipeline in its thread, intake's thread never loads the sinks, enrichment or diagnosis.
  const { createDeliveryPipeline } = await import('./pipeline/delivery-pipeline.js');
  const service = await assembleService(config, opts, ({ store, metrics, sinkNames }) =>
    createDeliveryPipeline(config, {
      store,
      metrics,
      sinkNames,
      logger: opts.logger,
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      ...(opts.random === undefined ? {} : { random: opts.random }),
      ...(opts.env === undefined ? {} : { env: opts.env }),
      ...(opts.sendTimeout === undefined ? {} : { sendTimeout: opts.sendTimeout }),
    }),
  );
  const { worker, enrichment, router, sinks } = service.pipeline;
  return { ...service, worker, enrichment, router, sinks };
}

/** How `serve` is started besides its config. */
export interface StartOptions {
  /** Where the logger writes, when not stdout: the pipeline thread's lines are sent there too (tests). */
  logStream?: Writable;
}

/**
 * Build the service and listen: what `serve` runs. The pipeline gets a thread of its own (worker.thread,
 * on by default) whenever a second connection can open the store, so that delivering never delays a webhook.
 */
export async function startService(config: Config, logger: Logger, opts: StartOptions = {}): Promise<RunningService> {
  let reportCrash: (err: Error) => void = () => undefined;
  const pipelineCrash = new Promise<Error>((resolve) => {
    reportCrash = resolve;
  });
  const threaded = config.worker.thread && storeIsShareable(config);
  const service = threaded
    ? await assembleService(config, { logger }, ({ sinkNames }) =>
        Promise.resolve(
          new PipelineThread({
            config,
            sinkNames,
            logLevel: logger.level,
            ...(opts.logStream === undefined ? {} : { logStream: opts.logStream }),
            onCrash: (err) => {
              logger.fatal({ err }, 'the pipeline thread ended while the service was running: nothing is delivered; stopping so that the orchestrator restarts the service');
              reportCrash(err);
            },
          }),
        ),
      )
    : await createService(config, { logger });
  try {
    return { ...service, url: await service.listen(), pipelineCrash };
  } catch (err) {
    return unwind(() => service.close(), err, logger);
  }
}
