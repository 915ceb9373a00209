import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed link's signature and expiry say about a request for one incident. */
export type LinkVerdict = 'ok' | 'expired' | 'invalid';

const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const EXPIRY = /^[1-9]\d{0,15}$/;

/** The HMAC-SHA256 (base64url) of `purpose`, an incident id and an expiry: nothing else is signed, nothing less. */
export function signLink(key: string, purpose: string, incidentId: string, expiresAt: number): string {
  return createHmac('sha256', key).update(`${purpose}\n${incidentId}\n${expiresAt}`).digest('base64url');
}

/**
 * Whether `signature` signs this incident and expiry with `key`, compared in constant time; 'expired' only
 * for a genuine signature past its expiry (a forged one is 'invalid' whatever its expiry).
 */
export function verifyLink(key: string, purpose: string, incidentId: string, expires: string, signature: string, now: number): LinkVerdict {
  if (!EXPIRY.test(expires) || !SIGNATURE.test(signature)) return 'invalid';
  const expected = Buffer.from(signLink(key, purpose, incidentId, Number(expires)), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  return Number(expires) <= now ? 'expired' : 'ok';
}

/** The purpose signed into incident links: a link's signature opens that incident's page and nothing else. */
export const INCIDENT_LINK = 'incident-page';

/** The path of an incident's page under the service. */
export function incidentPath(incidentId: string): string {
  return `/incidents/${encodeURIComponent(incidentId)}`;
}

/**
 * The URL of an incident's page under `publicUrl`, signed with `key` until `now + ttlMs` when a key is given
 * (it opens without a login), else plain (the viewer signs in through the proxy in front).
 */
export function incidentUrl(publicUrl: string, key: string | undefined, incidentId: string, now: number, ttlMs: number): string {
  const base = `${publicUrl.replace(/\/+$/, '')}${incidentPath(incidentId)}`;
  if (key === undefined) return base;
  const expiresAt = now + ttlMs;
  return `${base}?exp=${expiresAt}&sig=${signLink(key, INCIDENT_LINK, incidentId, expiresAt)}`;
}
