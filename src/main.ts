import { setInterval as every } from 'node:timers';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { SqliteStore } from './store/sqlite-store.js';
import { Metrics } from './metrics.js';
import { buildApp } from './intake/build-app.js';
import { Worker } from './worker/worker.js';
import { createRouter } from './route/route-alert.js';
import { FileSink } from './deliver/file-sink.js';
import type { Sink, SinkName } from './deliver/sink.js';
import { renderAlertText, renderSubject } from './render/text.js';
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

/** Which sinks are on: each when its settings are present; the file sink also when no other is. */
export function enabledSinkNames(config: Config): Set<SinkName> {
  const names = new Set<SinkName>();
  const route = config.routing.defaultRoute;
  if (config.slack.token !== undefined && route.slack.length > 0) names.add('slack');
  if (config.email.smtpUrl !== undefined && config.email.from !== undefined && route.email.length > 0) names.add('email');
  const file = config.file.enabled;
  if (file === 'true' || route.file || (file === 'auto' && names.size === 0)) names.add('file');
  return names;
}

/** Construct the sinks that are on. */
export function buildSinks(config: Config, names: ReadonlySet<SinkName>): Map<SinkName, Sink> {
  const sinks = new Map<SinkName, Sink>();
  if (names.has('file')) {
    const dir = config.file.dir ?? join(config.dataDir, 'outbox');
    sinks.set(
      'file',
      new FileSink(dir, {
        slack: (alert) => ({ text: renderAlertText(alert) }),
        email: (alert) => ({
          from: config.email.from ?? 'argocd-hook-alerts@localhost',
          to: config.routing.defaultRoute.email.join(', ') || 'oncall@localhost',
          subject: renderSubject(alert),
          text: renderAlertText(alert),
        }),
      }),
    );
  }
  return sinks;
}

/** The composition root: wire store, intake, worker and sinks from a validated config, and listen. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const store = SqliteStore.open(config.dataDir);
  const metrics = new Metrics();
  const sinkNames = enabledSinkNames(config);
  const sinks = buildSinks(config, sinkNames);
  const worker = new Worker({
    config,
    store,
    sinks,
    router: createRouter(config.routing, sinkNames),
    logger: logger.child({ component: 'worker' }),
    metrics,
  });
  const app = buildApp({
    config,
    store,
    logger,
    metrics,
    onAccepted: () => worker.notify(),
    readiness: config.worker.enabled
      ? [() => (worker.isAlive() ? { ok: true } : { ok: false, reason: 'the delivery worker has not completed a pass recently' })]
      : [],
  });
  let url: string;
  try {
    url = await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    store.close();
    throw err;
  }
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
    await worker.stop();
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
