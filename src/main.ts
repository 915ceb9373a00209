import { setInterval as every } from 'node:timers';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { SqliteStore } from './store/sqlite-store.js';
import { Metrics } from './metrics.js';
import { buildApp } from './intake/build-app.js';
import { InlineGroupCommit, ThreadedGroupCommit, type EventCommitter } from './store/intake-writer.js';
import { Worker } from './worker/worker.js';
import type { Enrichment } from './enrich/enrichment.js';
import { ENRICHMENT_OFF_WARNING, enrichmentMayRun } from './enrich/kube-config-source.js';
import { diagnoseReport } from './diagnose/diagnose-report.js';
import { createRouter, routesUseSink } from './route/route-alert.js';
import { FileSink } from './deliver/file-sink.js';
import type { Sink, SinkName } from './deliver/sink.js';
import { renderSlackMessage } from './render/slack-message.js';
import { renderEmail } from './render/email-message.js';
import { SlackSink } from './deliver/slack-sink.js';
import { EmailSink } from './deliver/email-sink.js';
import { join } from 'node:path';

const SWEEP_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A running service, as `serve` and the end-to-end tests hold it. */
export interface RunningService {
  app: FastifyInstance;
  store: SqliteStore;
  worker: Worker;
  metrics: Metrics;
  sinks: ReadonlyMap<SinkName, Sink>;
  /** http://host:port the service listens on. */
  url: string;
  /** Stop accepting, finish in-flight requests and the current delivery, close the store. */
  close(): Promise<void>;
}

/**
 * Which sinks are on: each when its settings are present and a route (a rule or the default route)
 * names a target of it; the file sink also when no other is.
 */
export function enabledSinkNames(config: Config): Set<SinkName> {
  const names = new Set<SinkName>();
  const routing = config.routing;
  if (config.slack.token !== undefined && routesUseSink(routing, 'slack')) names.add('slack');
  if (config.email.smtpUrl !== undefined && config.email.from !== undefined && routesUseSink(routing, 'email')) names.add('email');
  const file = config.file.enabled;
  const fileRouted = [routing.defaultRoute, ...routing.rules].some((r) => r.file);
  if (file === 'true' || fileRouted || (file === 'auto' && names.size === 0)) names.add('file');
  return names;
}

/** Construct the sinks that are on; the file sink writes exactly what Slack and email would receive. */
export function buildSinks(config: Config, names: ReadonlySet<SinkName>, deps: { logger: Logger; metrics: Metrics }): Map<SinkName, Sink> {
  const sinks = new Map<SinkName, Sink>();
  if (names.has('slack')) sinks.set('slack', SlackSink.fromConfig(config, deps));
  if (names.has('email')) sinks.set('email', EmailSink.fromConfig(config, deps));
  if (names.has('file')) {
    const dir = config.file.dir ?? join(config.dataDir, 'outbox');
    sinks.set(
      'file',
      new FileSink(dir, {
        slack: (alert) => renderSlackMessage(alert),
        email: (alert) =>
          renderEmail(alert, {
            from: config.email.from ?? 'argocd-hook-alerts@localhost',
            to: config.routing.defaultRoute.email.join(', ') || 'oncall@localhost',
          }),
      }),
    );
  }
  return sinks;
}

/** The composition root: wire store, intake, worker and sinks from a validated config, and listen. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const store = SqliteStore.open(config.dataDir);
  // A file store gets a writer thread, so that fsyncs do not stall the HTTP event loop.
  let writer: ThreadedGroupCommit | null = null;
  try {
    writer = config.dataDir === ':memory:' ? null : await ThreadedGroupCommit.start(store.file);
  } catch (err) {
    store.close();
    throw err;
  }
  const committer: EventCommitter = writer ?? new InlineGroupCommit(store);
  const metrics = new Metrics();
  const sinkNames = enabledSinkNames(config);
  const sinks = buildSinks(config, sinkNames, { logger, metrics });
  let enrichment: Enrichment | null = null;
  try {
    if (enrichmentMayRun(config.kubernetes, process.env)) {
      // Loaded only when a cluster can be read: a service without one does not carry the enrichment modules.
      const { createEnrichment } = await import('./enrich/enrichment.js');
      // Throws a config error for a configured cluster whose kubeconfig cannot be loaded: fail at start.
      enrichment = createEnrichment(config, { store, logger: logger.child({ component: 'enrich' }), metrics, onEventAccepted: () => worker.notify() });
    } else if (config.kubernetes.enabled === 'auto') {
      logger.warn(ENRICHMENT_OFF_WARNING);
    }
  } catch (err) {
    await committer.close();
    store.close();
    throw err;
  }
  const worker = new Worker({
    config,
    store,
    sinks,
    router: createRouter(config.routing, sinkNames),
    diagnose: diagnoseReport,
    enricher: enrichment?.enricher ?? null,
    logger: logger.child({ component: 'worker' }),
    metrics,
  });
  const app = buildApp({
    config,
    store,
    logger,
    metrics,
    onAccepted: () => worker.notify(),
    committer,
    // Ready means "can accept webhooks": a slow cluster or a stuck send must not take the pod out of the
    // Service (Argo CD's webhooks would fail); the worker's liveness is reported on /healthz instead.
    readiness: [() => (writer === null || writer.isAlive() ? { ok: true } : { ok: false, reason: 'the intake writer thread has stopped' })],
    health: () => ({ worker: config.worker.enabled ? worker.health() : 'disabled (worker.enabled: false)' }),
  });
  let url: string;
  try {
    url = await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await committer.close();
    store.close();
    throw err;
  }
  enrichment?.start();
  if (config.worker.enabled) worker.start();
  else logger.warn('worker.enabled is false: events are accepted and stored, nothing is delivered');
  const sweep = every(() => {
    try {
      const removed = store.sweep(Date.now(), config.store.retentionDays * DAY_MS);
      if (removed > 0) logger.info({ removed }, 'retention sweep');
    } catch (err) {
      logger.error({ err }, 'retention sweep failed');
    }
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
  logger.info({ url, sinks: [...sinkNames], dataDir: config.dataDir }, 'argocd-hook-alerts is listening');

  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    clearInterval(sweep);
    await app.close();
    await committer.close();
    await worker.stop();
    await enrichment?.stop();
    await Promise.allSettled([...sinks.values()].map((s) => s.close()));
    store.close();
  };
  return {
    app,
    store,
    worker,
    metrics,
    sinks,
    url,
    close: () => (closing ??= close()),
  };
}
