import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { EVENTS_ROUTE } from '../model/contract-v1.js';
import { InlineGroupCommit, type EventCommitter } from '../store/intake-writer.js';
import { HookAlertsError, errors } from '../errors.js';
import type { HookType } from '../model/hook-type.js';
import type { ServerConfig } from './server-config.js';
import type { AlertStore } from '../store/alert-store.js';
import type { Metrics } from '../metrics.js';
import { redactQuery, serializeRequest, urlPath } from './request-log.js';
import { eventsRoute, StoreRefusals } from './events-route.js';
import { healthRoutes, type ReadinessCheck } from './health-routes.js';
import { metricsRoute, type ForeignMetrics } from './metrics-route.js';
import { webhookToken } from './webhook-token.js';

export type { ReadinessCheck } from './health-routes.js';

/** What intake reads of the config: the server section, and which hook types alert. */
export interface IntakeSettings {
  server: ServerConfig;
  hooks: { types: readonly HookType[] };
}

export interface IntakeDeps {
  config: IntakeSettings;
  store: AlertStore;
  logger: Logger;
  metrics: Metrics;
  clock?: () => Date;
  /** Called after an event is committed, so the worker picks it up without waiting for its poll. */
  onAccepted?: () => void;
  /** The Application backstop runs beside the webhook: events record which path saw them first. */
  markSeenBy?: boolean;
  /** The current webhook token (null: none), when the composition root shares it with the incident page; else read from config here. */
  webhookToken?: (() => string) | null;
  readiness?: ReadinessCheck[];
  /** Liveness for /healthz (the worker's): reported, not part of readiness; not alive answers 503. */
  health?: () => Promise<{ alive: boolean; detail: Record<string, unknown> }>;
  /** Series counted outside intake's registry (the pipeline thread's), merged into /metrics at scrape time. */
  foreignMetrics?: ForeignMetrics;
  /** Commits accepted events; default: group commit on `store`'s own connection. */
  committer?: EventCommitter;
  /** Enrichment runs: keep a successful sync's Job hooks so that hooks it did not run are found (hook-skipped). */
  checkSucceededHooks?: boolean;
}

function fastifyErrorToHookAlerts(err: FastifyError, bodyLimit: number, req: FastifyRequest): HookAlertsError | null {
  const contentType = String(req.headers['content-type'] ?? '');
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.bodyNotJson(contentType);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge(bodyLimit, declaredLength(req));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.bodyMalformed('the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.bodyMalformed(err.message);
    default:
      break;
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return errors.bodyMalformed(err.message);
  }
  return null;
}

/** The request's Content-Length, or null for a chunked body. */
function declaredLength(req: FastifyRequest): number | null {
  const length = Number(req.headers['content-length']);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** How often Node looks for requests past their deadline: a quarter of the shortest limit, at most 1 s. */
function checkingInterval(server: ServerConfig): number {
  const limits = [server.headersTimeoutMs, server.requestTimeoutMs].filter((ms) => ms > 0);
  return Math.max(10, Math.min(1_000, ...limits.map((ms) => Math.floor(ms / 4))));
}

/**
 * Argo CD waits for each answer before it sends the next notification, and fastify's two info lines per
 * request (incoming, completed) cost more main-thread time than the rest of the logging: an accepted event
 * logs one line (events-route.ts), the request lines are at debug, and a refusal's at info (which URL).
 */
class OneLinePerEvent extends LogController {
  override incomingRequest(req: FastifyRequest): void {
    req.log.debug({ req }, 'incoming request');
  }

  override requestCompleted(err: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const failed = err instanceof Error;
    const line = { req, res: reply, responseTime: reply.elapsedTime, ...(failed ? { err } : {}) };
    if (failed || reply.statusCode >= 400) reply.log.info(line, 'request completed');
    else reply.log.debug(line, 'request completed');
  }
}

/**
 * Build the HTTP service from its dependencies: the app-wide hooks and handlers, then the events, health and
 * metrics plugins. It never listens: `main.ts` does, and tests use `inject()` or `listen({ port: 0 })`; both
 * wait for `ready()`, which loads the plugins.
 */
export function buildApp(deps: IntakeDeps): FastifyInstance {
  const { config, store, metrics } = deps;
  const clock = deps.clock ?? (() => new Date());
  const bodyLimit = config.server.bodyLimitBytes;
  // Fastify's own `req` serializer logs the whole URL, query and all: a token sent as `?token=` would be
  // written to every request's log line.
  const baseLogger: FastifyBaseLogger = deps.logger.child({}, { serializers: { req: serializeRequest } });
  const app = Fastify({
    loggerInstance: baseLogger,
    bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    logController: new OneLinePerEvent(),
    // Against slow clients (slowloris): every request must arrive whole within requestTimeout, its headers
    // within headersTimeout, and a silent connection is dropped after connectionTimeout. Node checks these
    // every connectionsCheckingInterval (30 s by default), far too coarse for limits of seconds.
    requestTimeout: config.server.requestTimeoutMs,
    connectionTimeout: config.server.connectionTimeoutMs,
    http: {
      headersTimeout: config.server.headersTimeoutMs,
      requestTimeout: config.server.requestTimeoutMs,
      connectionsCheckingInterval: checkingInterval(config.server),
    },
  });
  // Each connection holds a file descriptor: past the cap new ones are refused, and the store and the
  // health probes keep theirs.
  if (config.server.maxConnections > 0) app.server.maxConnections = config.server.maxConnections;
  // Only JSON is the contract; fastify's default text/plain parser would turn a wrong content type into a
  // confusing 400 instead of the 415 that names the fix.
  app.removeContentTypeParser('text/plain');
  // A refusal the events route meets makes /readyz unready for a while (see StoreRefusals).
  const refusals = new StoreRefusals(clock);
  // The methods of each path, so that a known path with a wrong method is 405 with `Allow`, not 404.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      status: String(reply.statusCode),
    });
  });

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const known =
      err instanceof HookAlertsError
        ? err
        : fastifyErrorToHookAlerts(err, bodyLimit, req);
    if (known !== null) {
      if (req.routeOptions.url === EVENTS_ROUTE && known.statusCode < 500) metrics.events.inc({ outcome: 'rejected' });
      // A refused body is an alert lost for good (Argo CD retries it unchanged): worth a warning.
      const level = known.statusCode >= 500 ? 'error' : known.statusCode === 413 ? 'warn' : 'info';
      req.log[level]({ code: known.code }, known.message);
      return reply.code(known.statusCode).send({ error: known.code, message: known.message, issues: known.issues });
    }
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) {
      return reply.code(status).send({ error: err.code ?? 'HA_ERR_REQUEST', message: err.message, issues: [] });
    }
    req.log.error({ err }, 'unhandled error');
    const internal = errors.internal(req.id);
    return reply.code(500).send({ error: internal.code, message: internal.message, issues: [] });
  });

  app.setNotFoundHandler((req, reply) => {
    const path = urlPath(req.url);
    const allowed = methodsByPath.get(path);
    if (allowed !== undefined) {
      const allow = [...allowed].sort();
      const err = errors.methodNotAllowed(req.method, path, allow);
      return reply.code(405).header('allow', allow.join(', ')).send({ error: err.code, message: err.message, issues: [] });
    }
    const err = errors.notFound(req.method, redactQuery(req.url));
    return reply.code(404).send({ error: err.code, message: err.message, issues: [] });
  });

  // Plain encapsulated plugins: each sees only its options. The hooks and handlers above are the root's,
  // so they apply to every route these register (onRoute included: it is added before them).
  void app.register(eventsRoute, {
    token: deps.webhookToken !== undefined ? deps.webhookToken : config.server.insecureNoAuth ? null : webhookToken(config.server, () => clock().getTime(), deps.logger),
    hookTypes: config.hooks.types,
    checkSucceededHooks: deps.checkSucceededHooks ?? false,
    committer: deps.committer ?? new InlineGroupCommit(store),
    metrics,
    clock,
    refusals,
    onAccepted: deps.onAccepted,
    markSeenBy: deps.markSeenBy ?? false,
  });
  void app.register(healthRoutes, {
    store,
    readiness: [refusals.readiness, ...(deps.readiness ?? [])],
    health: deps.health,
  });
  void app.register(metricsRoute, { metrics, store, ...(deps.foreignMetrics === undefined ? {} : { foreignMetrics: deps.foreignMetrics }) });

  return app;
}
