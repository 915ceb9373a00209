import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AlertStore } from '../store/alert-store.js';
import { REPLAYABLE_STATES } from '../store/alert-store.js';
import { incidentStateSchema } from '../store/incident-reads.js';
import { incidentLogsText, PAGE_STYLE_HASH, renderIncidentList, renderIncidentPage, type ReplayForm } from './incident-html.js';
import { isRefusal, sameOrigin, viewerName, type PageAccess, type Viewer } from './page-access.js';
import { incidentPath } from './signed-link.js';
import { warmIncidentPage } from './page-warm-up.js';

/** What the incident page's routes are built with (main.ts). */
export interface IncidentRoutesOptions {
  store: AlertStore;
  access: PageAccess;
  publicUrl: string | undefined;
  clock: () => number;
  /** Called after a replay, so that the worker sends it without waiting for its poll. */
  onReplayed?: () => void;
}

const PAGE_SIZE = 25;
const MAX_PAGE = 10_000;
const INCIDENT_ID = /^inc_[0-9a-f]{20}$/;

// No script may run, nothing may be framed or embedded, forms post only here: the pages need nothing else.
const CSP = `default-src 'none'; style-src '${PAGE_STYLE_HASH}'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

const listQuerySchema = z.object({
  app: z.string().trim().max(253).optional().transform((v) => (v === '' ? undefined : v)),
  project: z.string().trim().max(253).optional().transform((v) => (v === '' ? undefined : v)),
  state: z.union([incidentStateSchema, z.literal('')]).optional().transform((v) => (v === '' ? undefined : v)),
  page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
});

const replayBodySchema = z.object({ csrf: z.string().max(100), expires: z.string().max(20) });

/**
 * Headers of every page answer: the policy above, no caching (a signed link's page), no Referer to other
 * sites (it would carry a signed link). `same-origin`, not `no-referrer`: under no-referrer a browser sends
 * `Origin: null` with a form, and the replay's Origin check could not tell the page from anyone.
 */
function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY');
}

function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return pageHeaders(reply).code(status).type('text/plain; charset=utf-8').send(`${text}\n`);
}

function queryOf(req: FastifyRequest): Record<string, string | undefined> {
  const q = req.query as Record<string, unknown>;
  const pick = (name: string): string | undefined => (typeof q[name] === 'string' ? q[name] : undefined);
  return { exp: pick('exp'), sig: pick('sig'), replayed: pick('replayed') };
}

/**
 * The incident page (docs/incident-page.md): `/incidents`, `/incidents/<id>`, its logs as text, and the replay
 * of a dead or failed delivery. Registered by main.ts only when a way in is configured.
 */
export const incidentRoutes: FastifyPluginAsync<IncidentRoutesOptions> = async (app, opts) => {
  const { store, access, clock } = opts;

  // The replay form's body; kept inside this plugin, the events route still takes JSON alone.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4_096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  // Once the server listens (never under inject()), the page's code is compiled on the newest incident,
  // off the request path: the first viewer after a start does not wait for V8. Not awaited by listen().
  const closing = new AbortController();
  app.addHook('onListen', (done) => {
    void warmIncidentPage(store, app.log, clock(), closing.signal);
    done();
  });
  app.addHook('onClose', (_app, done) => {
    closing.abort();
    done();
  });

  /** The viewer, or the refusal already sent (null). */
  const viewerOf = (req: FastifyRequest, reply: FastifyReply, incidentId: string | null): Viewer | null => {
    const found = access.identify({ headers: req.headers, query: queryOf(req) }, incidentId, clock());
    if (!isRefusal(found)) return found;
    if (found.status === 401) reply.header('www-authenticate', 'Bearer realm="incident page"');
    void sendText(reply, found.status, found.message);
    return null;
  };

  const incidentIdOf = (req: FastifyRequest, reply: FastifyReply): string | null => {
    const { id } = req.params as { id: string };
    if (INCIDENT_ID.test(id)) return id;
    void sendText(reply, 404, `no incident ${JSON.stringify(id.slice(0, 40))}: incident ids look like inc_ and 20 hex digits`);
    return null;
  };

  app.get('/incidents', async (req, reply) => {
    const viewer = viewerOf(req, reply, null);
    if (viewer === null) return reply;
    if (viewer.kind === 'signed-link') return sendText(reply, 403, 'a signed link opens its own incident only: sign in to see the list');
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) return sendText(reply, 400, `bad filter: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const filter = parsed.data;
    const found = await store.listIncidents({ app: filter.app, project: filter.project, state: filter.state, limit: PAGE_SIZE, offset: (filter.page - 1) * PAGE_SIZE });
    return pageHeaders(reply).type('text/html; charset=utf-8').send(renderIncidentList(found, filter));
  });

  app.get('/incidents/:id', async (req, reply) => {
    const id = incidentIdOf(req, reply);
    if (id === null) return reply;
    const viewer = viewerOf(req, reply, id);
    if (viewer === null) return reply;
    const detail = await store.incidentDetail(id);
    if (detail === null) return sendText(reply, 404, `no incident ${id}: it never existed or was removed after store.retentionDays`);
    const now = clock();
    const replayForms = new Map<number, ReplayForm>();
    for (const d of detail.deliveries) {
      if (REPLAYABLE_STATES.includes(d.state)) replayForms.set(d.id, access.replayForm(viewer, id, d.id, now));
    }
    const replayed = queryOf(req).replayed;
    const notice = replayed !== undefined && /^\d{1,16}$/.test(replayed) ? `Delivery ${replayed} is queued again: the worker sends it on its next poll.` : null;
    const html = renderIncidentPage(detail, {
      linkQuery: viewer.kind === 'signed-link' ? viewer.linkQuery : '',
      replayForms,
      viewer: viewerName(viewer),
      notice,
      now,
    });
    return pageHeaders(reply).type('text/html; charset=utf-8').send(html);
  });

  app.get('/incidents/:id/logs.txt', async (req, reply) => {
    const id = incidentIdOf(req, reply);
    if (id === null) return reply;
    if (viewerOf(req, reply, id) === null) return reply;
    const detail = await store.incidentDetail(id);
    if (detail === null) return sendText(reply, 404, `no incident ${id}`);
    return pageHeaders(reply)
      .type('text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="${id}-logs.txt"`)
      .send(incidentLogsText(detail));
  });

  app.post('/incidents/:id/deliveries/:delivery/replay', async (req, reply) => {
    const id = incidentIdOf(req, reply);
    if (id === null) return reply;
    const viewer = viewerOf(req, reply, id);
    if (viewer === null) return reply;
    if (!sameOrigin({ headers: req.headers, query: {} }, opts.publicUrl)) {
      return sendText(reply, 403, 'a replay must be sent from the incident page of this service (Origin does not match)');
    }
    const { delivery } = req.params as { delivery: string };
    const body = replayBodySchema.safeParse(req.body);
    if (!/^[1-9]\d{0,15}$/.test(delivery) || !body.success) return sendText(reply, 400, 'send the replay form of the incident page');
    const deliveryId = Number(delivery);
    const now = clock();
    const form = access.checkReplayForm(viewer, id, deliveryId, body.data.csrf, body.data.expires, now);
    if (form !== 'ok') return sendText(reply, 403, form === 'expired' ? 'the page is too old: reload it and send again' : 'this form was not made for you and this delivery: reload the page');
    if ((await store.deliveryIncidentId(deliveryId)) !== id) return sendText(reply, 404, `incident ${id} has no delivery ${deliveryId}`);
    const result = await store.replayDelivery(deliveryId, viewerName(viewer), now);
    if (result.status === 'unknown') return sendText(reply, 404, `no delivery ${deliveryId}`);
    if (result.status === 'not_replayable') return sendText(reply, 409, `delivery ${deliveryId} is ${result.state}: only dead or failed deliveries are sent again`);
    req.log.info({ delivery: deliveryId, incident: id, by: viewerName(viewer) }, 'delivery replayed from the incident page');
    opts.onReplayed?.();
    const query = viewer.kind === 'signed-link' ? `${viewer.linkQuery}&replayed=${deliveryId}` : `?replayed=${deliveryId}`;
    return reply.code(303).header('location', `${incidentPath(id)}${query}#delivery-${deliveryId}`).send();
  });
};
