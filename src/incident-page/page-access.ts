import { randomBytes } from 'node:crypto';
import { createTokenCheck } from '../intake/auth.js';
import type { ServerConfig } from '../intake/server-config.js';
import { INCIDENT_LINK, signLink, verifyLink } from './signed-link.js';

/** Who is looking at a page, by the way they came in. */
export type Viewer =
  | { kind: 'proxy'; user: string }
  | { kind: 'viewer-token' }
  /** A signed link opens one incident (its page, its logs, its replays) and nothing else. */
  | { kind: 'signed-link'; incidentId: string; linkQuery: string };

/** A refused request: its status and what to do. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

/** The request parts access looks at. */
export interface AccessRequest {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | undefined>;
}

/** The name recorded for a replay by this viewer (`replayed_by`). */
export function viewerName(viewer: Viewer): string {
  return viewer.kind === 'proxy' ? viewer.user : viewer.kind;
}

function header(req: AccessRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

/** What the page's access reads of the server section. */
export type PageAccessSettings = Pick<ServerConfig, 'linkSigningKey' | 'authProxy'>;

/** What a replay form's token signs: the incident, the delivery and who was shown the form. */
function replayFormSubject(viewer: Viewer, incidentId: string, deliveryId: number): string {
  return `${incidentId}\n${deliveryId}\n${viewerName(viewer)}`;
}

// How long a replay form may be sent after the page was shown.
const FORM_TTL_MS = 3_600_000;
const REPLAY_FORM = 'replay-form';

/**
 * The three ways into the incident page, in this order: a bearer viewer token, a user named by a trusted
 * proxy's header (only when `authProxy.enabled`), a link signed for one incident. The webhook token is
 * refused by name: it never opens the page.
 */
export class PageAccess {
  readonly #settings: PageAccessSettings;
  readonly #viewerCheck: ((authorization: string | undefined) => 'ok' | 'missing' | 'invalid') | null;
  readonly #webhookCheck: ((authorization: string | undefined) => 'ok' | 'missing' | 'invalid') | null;
  // Forms are signed with the link key, so that a form shown by one replica is taken by another; without
  // one, with a key of this process (a form outlives no restart).
  readonly #formKey: string;

  /** `viewerToken` and `webhookToken` answer the current token (a rotated file is read again), or are null when not set. */
  constructor(settings: PageAccessSettings, webhookToken: (() => string) | null, viewerToken: (() => string) | null) {
    this.#settings = settings;
    this.#viewerCheck = viewerToken === null ? null : createTokenCheck(viewerToken);
    this.#webhookCheck = webhookToken === null ? null : createTokenCheck(webhookToken);
    this.#formKey = settings.linkSigningKey ?? randomBytes(32).toString('hex');
  }

  /** The viewer of a request for the list (`incidentId` null) or for one incident's pages, or why not. */
  identify(req: AccessRequest, incidentId: string | null, now: number): Viewer | Refusal {
    const authorization = header(req, 'authorization');
    if (authorization !== undefined) {
      if (this.#viewerCheck?.(authorization) === 'ok') return { kind: 'viewer-token' };
      if (this.#webhookCheck?.(authorization) === 'ok') {
        return { status: 403, message: 'the webhook token does not open the incident page: send the viewer token (server.viewerToken)' };
      }
      return { status: 401, message: this.#viewerCheck === null ? 'no viewer token is configured (server.viewerToken): sign in through the proxy or use a signed link' : 'the viewer token is wrong' };
    }
    const proxy = this.#settings.authProxy;
    if (proxy.enabled) {
      const user = header(req, proxy.userHeader);
      if (user !== undefined) return { kind: 'proxy', user };
    }
    const { exp, sig } = req.query;
    const key = this.#settings.linkSigningKey;
    if (exp !== undefined || sig !== undefined) {
      if (key === undefined || incidentId === null) return { status: 403, message: 'a signed link opens one incident\'s page only, and only when server.linkSigningKey is set' };
      const verdict = verifyLink(key, INCIDENT_LINK, incidentId, exp ?? '', sig ?? '', now);
      if (verdict === 'expired') return { status: 403, message: 'this link has expired: open the incident from a newer alert, or sign in' };
      if (verdict === 'invalid') return { status: 403, message: 'this link is not valid for this incident' };
      return { kind: 'signed-link', incidentId, linkQuery: `?exp=${exp ?? ''}&sig=${sig ?? ''}` };
    }
    return { status: 401, message: 'sign in: send the viewer token as Authorization: Bearer, come through the auth proxy, or open a signed link from an alert' };
  }

  /** A replay form's token for this viewer and delivery, valid for an hour. */
  replayForm(viewer: Viewer, incidentId: string, deliveryId: number, now: number): { token: string; expires: number } {
    const expires = now + FORM_TTL_MS;
    return { token: signLink(this.#formKey, REPLAY_FORM, replayFormSubject(viewer, incidentId, deliveryId), expires), expires };
  }

  /** Whether a posted replay form was made for this viewer and delivery, and is still fresh. */
  checkReplayForm(viewer: Viewer, incidentId: string, deliveryId: number, token: string, expires: string, now: number): 'ok' | 'expired' | 'invalid' {
    return verifyLink(this.#formKey, REPLAY_FORM, replayFormSubject(viewer, incidentId, deliveryId), expires, token, now);
  }
}

/** Whether a refusal or a viewer. */
export function isRefusal(value: Viewer | Refusal): value is Refusal {
  return 'status' in value;
}

/**
 * Whether a state-changing request comes from the page itself: its Origin (or, without one, Sec-Fetch-Site)
 * must be this service, as the browser reached it (Host) or as configured (`publicUrl`). A request without
 * either header comes from no browser (curl) and carries no ambient credential a page could borrow.
 */
export function sameOrigin(req: AccessRequest, publicUrl: string | undefined): boolean {
  const origin = header(req, 'origin');
  if (origin === undefined) {
    const site = header(req, 'sec-fetch-site');
    return site === undefined || site === 'same-origin' || site === 'none';
  }
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const allowed = [header(req, 'host'), publicUrl === undefined ? undefined : new URL(publicUrl).host];
  return allowed.includes(host);
}
