import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { contractV1Schema, EVENTS_ROUTE } from '../model/contract-v1.js';
import { eventDedupeKey } from '../model/hook-event.js';
import type { HookType } from '../model/hook-type.js';
import type { EventCommitter } from '../store/intake-writer.js';
import { DATABASE_UNAVAILABLE } from '../store/postgres/pg-connection.js';
import { CODE_BODY_INVALID, HookAlertsError, describeError, errors, withIssues, type ProblemDetail } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { createTokenCheck } from './auth.js';
import { toHookEvent } from './hook-event.js';
import type { ReadinessCheck } from './health-routes.js';

// SQLite result codes that mean "the disk, not the request": answer 503 so that Argo CD retries.
const STORE_UNAVAILABLE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|CORRUPT|NOTADB)/;
// A full disk does not fail store.checkWritable() (BEGIN IMMEDIATE writes nothing in WAL mode), so
// readiness also reports the last refusal intake met. It holds this long, then readiness turns true
// again so that traffic comes back and the next event tests the store (half-open); a refusal that
// held until an event succeeded would keep an unready pod without traffic forever.
const STORE_REFUSAL_HOLD_MS = 30_000;

// A 400 lists this many issues and counts the rest: a body with thousands of wrong entries gets a short answer.
const MAX_REPORTED_ISSUES = 10;

/** The last time the store refused an event, shared by the events route (which records it) and readiness. */
export class StoreRefusals {
  #last: { detail: string; at: number } | null = null;
  readonly #clock: () => Date;

  constructor(clock: () => Date) {
    this.#clock = clock;
  }

  /** Remember a refusal (`detail` names the SQLite code and message) as of now. */
  record(detail: string): void {
    this.#last = { detail, at: this.#clock().getTime() };
  }

  /** An event went through: the store takes writes again. */
  clear(): void {
    this.#last = null;
  }

  /** Not ready while a refusal is younger than the hold. */
  readonly readiness: ReadinessCheck = () => {
    const last = this.#last;
    if (last === null || this.#clock().getTime() - last.at >= STORE_REFUSAL_HOLD_MS) return { ok: true };
    return { ok: false, reason: `the store refused the last event (${last.detail}): check the data volume (space, permissions)` };
  };
}

/** What the events route needs: who may post, which hook types alert, where accepted events go. */
export interface EventsRouteOptions {
  /** The bearer token callers must send now (it can change on rotation); `null` accepts every caller (--insecure-no-auth). */
  token: (() => string) | null;
  hookTypes: readonly HookType[];
  /** Keep a successful sync's Job hooks, to check whether it ran them (the cluster can be read). */
  checkSucceededHooks: boolean;
  committer: EventCommitter;
  metrics: Pick<Metrics, 'events'>;
  clock: () => Date;
  refusals: StoreRefusals;
  /** Called after an event is committed, so the worker picks it up without waiting for its poll. */
  onAccepted?: () => void;
  /** The Application backstop runs too: record on each event that the webhook saw it. */
  markSeenBy?: boolean;
}

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

/** POST /v1/argocd/events: authenticate, validate against contract v1, normalize, and commit (202). */
export const eventsRoute: FastifyPluginAsync<EventsRouteOptions> = async (app, opts) => {
  const { metrics, clock, refusals, committer } = opts;
  const checkToken = createTokenCheck(opts.token);

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
      const normalized = toHookEvent(body, opts.hookTypes, now, {
        ...(opts.markSeenBy === true ? { seenBy: 'webhook' as const } : {}),
        checkSucceeded: opts.checkSucceededHooks,
      });
      if ('ignored' in normalized) {
        metrics.events.inc({ outcome: 'ignored' });
        req.log.info({ app: `${body.app.namespace}/${body.app.name}`, event: body.event }, `ignored: ${normalized.ignored}`);
        return reply.code(202).send({ incident: null, ignored: normalized.ignored });
      }
      const event = normalized.event;
      let result;
      try {
        result = await committer.accept(event, eventDedupeKey(event), now.getTime());
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === DATABASE_UNAVAILABLE) {
          // PostgreSQL is down or unreachable: /readyz reports it from its own probe of the database.
          req.log.error({ err }, 'database refused the event');
          throw errors.databaseUnavailable(describeError(err));
        }
        if (typeof code === 'string' && STORE_UNAVAILABLE.test(code)) {
          req.log.error({ err }, 'store refused the event');
          refusals.record(`${code}: ${describeError(err)}`);
          throw errors.storeUnavailable(code);
        }
        throw err;
      }
      refusals.clear();
      if ('ignored' in result) {
        metrics.events.inc({ outcome: 'ignored' });
        return reply.code(202).send({ incident: null, ignored: result.ignored });
      }
      metrics.events.inc({ outcome: result.duplicate ? 'duplicate' : 'accepted' });
      req.log.info(
        { incident: result.incidentId, duplicate: result.duplicate, app: `${event.app.namespace}/${event.app.name}`, event: event.kind },
        result.duplicate ? 'duplicate event' : 'event accepted',
      );
      if (!result.duplicate) opts.onAccepted?.();
      return reply.code(202).send({ incident: result.incidentId, duplicate: result.duplicate });
    },
  );
};
