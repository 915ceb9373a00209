import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { contractV1Schema, EVENTS_ROUTE } from '../model/contract-v1.js';
import { eventDedupeKey } from '../model/hook-event.js';
import { toHookEvent } from './hook-event.js';
import { createTokenCheck } from './auth.js';
import { InlineGroupCommit, type EventCommitter } from '../store/intake-writer.js';
import { CODE_BODY_INVALID, HookAlertsError, describeError, errors, withIssues, type ProblemDetail } from '../errors.js';
import type { HookType } from '../model/hook-type.js';
import type { ServerConfig } from './server-config.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { Metrics } from '../metrics.js';
import { redactQuery, serializeRequest, urlPath } from './request-log.js';

/** Readiness of the parts behind intake; each failing check names itself. */
export type ReadinessCheck = () => { ok: true } | { ok: false; reason: string };

/** What intake reads of the config: the server section, and which hook types alert. */
export interface IntakeSettings {
  server: ServerConfig;
  hooks: { types: readonly HookType[] };
}

export interface IntakeDeps {
  config: IntakeSettings;
  store: SqliteStore;
  logger: Logger;
  metrics: Metrics;
  clock?: () => Date;
  /** Called after an event is committed, so the worker picks it up without waiting for its poll. */
  onAccepted?: () => void;
  readiness?: ReadinessCheck[];
  /** Detail for /healthz (the worker's liveness): reported, not part of readiness. */
  health?: () => Record<string, unknown>;
  /** Commits accepted events; default: group commit on `store`'s own connection. */
  committer?: EventCommitter;
}

// SQLite result codes that mean "the disk, not the request": answer 503 so that Argo CD retries.
const STORE_UNAVAILABLE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|CORRUPT|NOTADB)/;
// A full disk does not fail store.checkWritable() (BEGIN IMMEDIATE writes nothing in WAL mode), so
// readiness also reports the last refusal intake met. It holds this long, then readiness turns true
// again so that traffic comes back and the next event tests the store (half-open); a refusal that
// held until an event succeeded would keep an unready pod without traffic forever.
const STORE_REFUSAL_HOLD_MS = 30_000;

// A 400 lists this many issues and counts the rest: a body with thousands of wrong entries gets a short answer.
const MAX_REPORTED_ISSUES = 10;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** One readable line per zod issue: "missing", or what was found against what is expected, never both twice. */
function zodProblem(issue: z.core.$ZodIssue): ProblemDetail {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return { path, message: 'missing', expected: issue.expected };
    return { path, message: 'wrong type', found: typeOf(issue.input), expected: issue.expected };
  }
  return { path, message: issue.message.replace(/^Invalid input: /, '') };
}

function bodyInvalid(issues: readonly z.core.$ZodIssue[]): HookAlertsError {
  const shown = issues.slice(0, MAX_REPORTED_ISSUES).map(zodProblem);
  const error = withIssues(
    CODE_BODY_INVALID,
    400,
    'the body does not match webhook contract v1; each field below is missing, of the wrong type or invalid (use the template of "argocd-hook-alerts generate argocd"):',
    shown,
  );
  const more = issues.length - shown.length;
  if (more === 0) return error;
  return new HookAlertsError(CODE_BODY_INVALID, `${error.message}\n  - and ${more} more`, { statusCode: 400, issues: shown });
}

function fastifyErrorToHookAlerts(err: FastifyError, bodyLimit: number, contentType: string): HookAlertsError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.bodyNotJson(contentType);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge(bodyLimit);
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

/** How often Node looks for requests past their deadline: a quarter of the shortest limit, at most 1 s. */
function checkingInterval(server: ServerConfig): number {
  const limits = [server.headersTimeoutMs, server.requestTimeoutMs].filter((ms) => ms > 0);
  return Math.max(10, Math.min(1_000, ...limits.map((ms) => Math.floor(ms / 4))));
}

/**
 * Build the HTTP service (intake, health, metrics) from its dependencies. It never listens: `main.ts` does,
 * and tests use `inject()` or `listen({ port: 0 })`.
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
  const commits = deps.committer ?? new InlineGroupCommit(store);
  const checkToken = createTokenCheck(config.server.insecureNoAuth ? null : (config.server.token ?? null));
  let storeRefusal: { detail: string; at: number } | null = null;
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
        : fastifyErrorToHookAlerts(err, bodyLimit, String(req.headers['content-type'] ?? ''));
    if (known !== null) {
      if (req.routeOptions.url === EVENTS_ROUTE && known.statusCode < 500) metrics.events.inc({ outcome: 'rejected' });
      const level = known.statusCode >= 500 ? 'error' : 'info';
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

  app.post(
    EVENTS_ROUTE,
    {
      // Authenticate before the body is read: an unauthenticated caller cannot make us parse 1 MiB.
      // A refused caller's connection is closed after the 401 (`Connection: close`): its body is never
      // read, so a client that trickles one cannot hold the socket.
      onRequest: async (req, reply) => {
        const verdict = checkToken(req.headers.authorization);
        if (verdict === 'ok') return;
        reply.header('connection', 'close');
        throw verdict === 'missing' ? errors.authMissing() : errors.authInvalid();
      },
    },
    async (req, reply) => {
      const parsed = contractV1Schema.safeParse(req.body, { reportInput: true });
      if (!parsed.success) throw bodyInvalid(parsed.error.issues);
      const body = parsed.data;
      if ((body.event === 'hook-failed' || body.event === 'hook-retrying') && body.operationState == null) {
        throw withIssues(CODE_BODY_INVALID, 400, `a ${body.event} event needs operationState:`, [
          { path: 'operationState', message: 'required for hook events', found: 'null', expected: 'object' },
        ]);
      }
      const now = clock();
      const normalized = toHookEvent(body, config.hooks.types, now);
      if ('ignored' in normalized) {
        metrics.events.inc({ outcome: 'ignored' });
        req.log.info({ app: `${body.app.namespace}/${body.app.name}`, event: body.event }, `ignored: ${normalized.ignored}`);
        return reply.code(202).send({ incident: null, ignored: normalized.ignored });
      }
      const event = normalized.event;
      let result;
      try {
        result = await commits.accept(event, eventDedupeKey(event), now.getTime());
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && STORE_UNAVAILABLE.test(code)) {
          req.log.error({ err }, 'store refused the event');
          storeRefusal = { detail: `${code}: ${describeError(err)}`, at: clock().getTime() };
          throw errors.storeUnavailable(code);
        }
        throw err;
      }
      storeRefusal = null;
      if ('ignored' in result) {
        metrics.events.inc({ outcome: 'ignored' });
        return reply.code(202).send({ incident: null, ignored: result.ignored });
      }
      metrics.events.inc({ outcome: result.duplicate ? 'duplicate' : 'accepted' });
      req.log.info(
        { incident: result.incidentId, duplicate: result.duplicate, app: `${event.app.namespace}/${event.app.name}`, event: event.kind },
        result.duplicate ? 'duplicate event' : 'event accepted',
      );
      if (!result.duplicate) deps.onAccepted?.();
      return reply.code(202).send({ incident: result.incidentId, duplicate: result.duplicate });
    },
  );

  app.get('/healthz', async () => ({ status: 'ok', ...deps.health?.() }));

  app.get('/readyz', async (_req, reply) => {
    const failures: string[] = [];
    try {
      store.checkWritable();
    } catch (err) {
      failures.push(`store not writable: ${describeError(err)}`);
    }
    if (storeRefusal !== null && clock().getTime() - storeRefusal.at < STORE_REFUSAL_HOLD_MS) {
      failures.push(`the store refused the last event (${storeRefusal.detail}): check the data volume (space, permissions)`);
    }
    for (const check of deps.readiness ?? []) {
      const verdict = check();
      if (!verdict.ok) failures.push(verdict.reason);
    }
    if (failures.length > 0) return reply.code(503).send({ status: 'not ready', reasons: failures });
    return { status: 'ready' };
  });

  app.get('/metrics', async (_req, reply) => {
    const depth = store.queueDepth();
    metrics.queueDepth.set({ queue: 'events' }, depth.events);
    metrics.queueDepth.set({ queue: 'deliveries' }, depth.deliveries);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return app;
}
