import { setInterval as every } from 'node:timers';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { SqliteStore } from './store/sqlite-store.js';
import { PgStore } from './store/postgres/pg-store.js';
import type { AlertStore } from './store/alert-store.js';
import { Metrics } from './metrics.js';
import { buildApp } from './intake/build-app.js';
import { InlineGroupCommit, ThreadedGroupCommit, type EventCommitter } from './store/intake-writer.js';
import { Worker } from './worker/worker.js';
import type { Enrichment } from './enrich/enrichment.js';
import { ENRICHMENT_OFF_WARNING, enrichmentMayRun } from './enrich/kube-config-source.js';
import { diagnoseReport } from './diagnose/diagnose-report.js';
import { createRouter } from './route/route-alert.js';
import { buildSinks, enabledSinkNames } from './deliver/sink-selection.js';
import { wrapSinks, type StartTimeout } from './deliver/sink-wrappers.js';
import type { Sink, SinkName } from './model/sink.js';
import type { Router } from './model/pipeline.js';
import { describeError, errors } from './errors.js';
import { createScrubber } from './scrub/scrub.js';
import { MISSING_WHATS } from './enrich/job-hook-gaps.js';
import { RULES } from './diagnose/rules/index.js';
import { packageVersion } from './package-files.js';
import { hookFailedEventsOf } from './intake/application-event.js';
import { DELETE_HOOK_TRIGGER, TRIGGER_NAMES } from './argocd/notifications-config.js';
import { incidentPageEnabled } from './intake/server-config.js';
import { viewerToken, webhookToken } from './intake/webhook-token.js';
import { incidentRoutes } from './incident-page/incident-routes.js';
import { PageAccess } from './incident-page/page-access.js';
import { incidentUrl } from './incident-page/signed-link.js';

const SWEEP_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

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

/** The whole service, built and not yet listening: what `serve`, `send-test` and the tests hold. */
export interface Service {
  app: FastifyInstance;
  /** SqliteStore in dataDir, or PgStore when store.postgres.url is set. */
  store: AlertStore;
  worker: Worker;
  metrics: Metrics;
  router: Router;
  sinks: ReadonlyMap<SinkName, Sink>;
  /** null when enrichment is off. */
  enrichment: Enrichment | null;
  /** Listen, then start the worker, the cluster watchers and the retention sweep; returns http://host:port. */
  listen(): Promise<string>;
  /** Stop accepting, finish in-flight requests and the current delivery, close the store; runs once. */
  close(): Promise<void>;
}

/** A listening service, as `serve` and the end-to-end tests hold it. */
export interface RunningService extends Service {
  /** http://host:port the service listens on. */
  url: string;
}

/**
 * What has been opened, closed in reverse order: every closer runs, even after one fails, and the
 * failures are thrown together at the end.
 */
class CloseStack {
  readonly #closers: (() => unknown)[] = [];

  push(closer: () => unknown): void {
    this.#closers.push(closer);
  }

  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const closer of this.#closers.splice(0).reverse()) {
      try {
        await closer();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'several parts of the service failed to close');
  }
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

/** Close what a failed start opened, and throw the failure (a failing close is logged, not lost). */
async function unwind(close: () => Promise<void>, err: unknown, logger: Logger): Promise<never> {
  try {
    await close();
  } catch (closeErr) {
    logger.error({ err: closeErr }, 'closing what was opened before the start failed also failed');
  }
  throw err;
}

/** The configured store, migrated: PgStore when store.postgres.url is set, else SqliteStore in dataDir (`serve`, `deliveries`). */
export async function openStore(config: Config, logger: Logger): Promise<AlertStore> {
  const { url, password, poolSize } = config.store.postgres;
  if (url === undefined) return SqliteStore.open(config.dataDir);
  return PgStore.open({
    url,
    password,
    poolSize,
    // A pending event stays with its replica while it may be enriched (bounded by the deadline), and then some.
    eventLeaseMs: config.kubernetes.bounds.deadlineMs + config.worker.leaseMs,
    onIdleError: (err) => logger.warn({ error: describeError(err) }, 'a pooled PostgreSQL connection broke (server restart or network); it is replaced on the next query'),
  });
}

const HOUR_MS = 3_600_000;

/** How alerts link to the incident page: only when it is on and the service has a public URL. */
function alertLinks(config: Config): { incidentUrl?: (incidentId: string, now: number) => string } {
  const { publicUrl, linkSigningKey, linkTtlHours } = config.server;
  if (publicUrl === undefined || !incidentPageEnabled(config.server)) return {};
  return { incidentUrl: (id, now) => incidentUrl(publicUrl, linkSigningKey, id, now, linkTtlHours * HOUR_MS) };
}

/** The composition root: wire store, intake, enrichment, worker and sinks from a validated config, without listening. */
export async function createService(config: Config, opts: ServiceOptions): Promise<Service> {
  const { logger } = opts;
  const clock = opts.clock ?? Date.now;
  const env = opts.env ?? process.env;
  const closers = new CloseStack();
  try {
    const store = await openStore(config, logger);
    closers.push(() => store.close());
    // A SQLite file gets a writer thread, so that fsyncs do not stall the HTTP event loop; PostgreSQL's
    // commits wait on the network, and the event loop serves other requests meanwhile.
    const writer = store instanceof SqliteStore && store.file !== ':memory:' ? await ThreadedGroupCommit.start(store.file) : null;
    const committer: EventCommitter = writer ?? new InlineGroupCommit(store);
    closers.push(() => committer.close());
    const metrics = opts.metrics ?? new Metrics();
    const sinkNames = opts.sinkNames ?? enabledSinkNames(config);
    metrics.startAtZero({ version: packageVersion(), sinks: [...sinkNames], missing: [...MISSING_WHATS, 'all'], findingIds: RULES.map((r) => r.id) });
    const sinks = wrapSinks(buildSinks(config, sinkNames, { logger, metrics, emailAttempts: store.emailAttempts(), clock, env }), {
      timeoutMs: config.worker.sendTimeoutMs,
      metrics,
      logger: logger.child({ component: 'worker' }),
      ...(opts.sendTimeout === undefined ? {} : { startTimeout: opts.sendTimeout }),
    });
    for (const sink of sinks.values()) closers.push(() => sink.close());
    let enrichment: Enrichment | null = null;
    if (enrichmentMayRun(config.kubernetes, env)) {
      // Loaded only when a cluster can be read: a service without one does not carry the enrichment modules.
      const { createEnrichment } = await import('./enrich/enrichment.js');
      // Throws a config error for a configured cluster whose kubeconfig cannot be loaded: fail at start.
      const backstop = config.kubernetes.backstop;
      enrichment = createEnrichment(config, {
        store,
        logger: logger.child({ component: 'enrich' }),
        metrics,
        onEventAccepted: () => worker.notify(),
        env,
        sharedStore: store.kind === 'postgres',
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
    const started = enrichment;
    if (started !== null) closers.push(() => started.stop());
    const router = createRouter(config.routing, sinkNames);
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
      ...(opts.random === undefined ? {} : { random: opts.random }),
      ...alertLinks(config),
    });
    closers.push(() => worker.stop());
    const webhook = config.server.insecureNoAuth ? null : webhookToken(config.server, clock, logger);
    const app = buildApp({
      config,
      store,
      logger,
      metrics,
      clock: () => new Date(clock()),
      onAccepted: () => worker.notify(),
      committer,
      markSeenBy: enrichment !== null && config.kubernetes.backstop.enabled,
      // One reader of HOOK_ALERTS_TOKEN_FILE for intake and the incident page (which refuses the webhook
      // token): a rotation is read and logged once.
      webhookToken: webhook,
      checkSucceededHooks: enrichment !== null,
      // Ready means "can accept webhooks": a slow cluster or a stuck send must not take the pod out of the
      // Service (Argo CD's webhooks would fail); the worker's liveness is reported on /healthz instead.
      readiness: [() => (writer === null || writer.isAlive() ? { ok: true } : { ok: false, reason: 'the intake writer thread has stopped' })],
      health: () => ({ worker: config.worker.enabled ? worker.health() : 'disabled (worker.enabled: false)' }),
    });
    closers.push(() => app.close());
    // Off unless a way in is configured: without one, every request would be refused anyway.
    if (incidentPageEnabled(config.server)) {
      void app.register(incidentRoutes, {
        store,
        access: new PageAccess(config.server, webhook, viewerToken(config.server, clock, logger)),
        publicUrl: config.server.publicUrl,
        clock,
        onReplayed: () => worker.notify(),
      });
    }

    const listen = async (): Promise<string> => {
      const url = await listenOrExplain(app, config.server.host, config.server.port);
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
      logger.info({ url, sinks: [...sinkNames], store: store.kind, location: store.location }, 'argocd-hook-alerts is listening');
      return url;
    };
    let closing: Promise<void> | null = null;
    return { app, store, worker, metrics, router, sinks, enrichment, listen, close: () => (closing ??= closers.close()) };
  } catch (err) {
    return unwind(() => closers.close(), err, logger);
  }
}

/** Build the service and listen: what `serve` runs. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const service = await createService(config, { logger });
  try {
    return { ...service, url: await service.listen() };
  } catch (err) {
    return unwind(() => service.close(), err, logger);
  }
}
