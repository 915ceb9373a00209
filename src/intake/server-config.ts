import { z } from 'zod';

/** The shortest webhook token the service takes, in the config and in a rotated token file alike. */
export const MIN_TOKEN_LENGTH = 16;

/** The HTTP server: where it listens, what intake accepts, and how long and how many connections it holds. */
export const serverConfigSchema = z
  .strictObject({
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65_535).default(8080),
    /** Webhook bearer token; from HOOK_ALERTS_TOKEN or HOOK_ALERTS_TOKEN_FILE. */
    token: z.string().min(MIN_TOKEN_LENGTH, `a webhook token needs at least ${MIN_TOKEN_LENGTH} characters`).optional(),
    /** The file the token was read from (HOOK_ALERTS_TOKEN_FILE): read again on rotation, without a restart. */
    tokenFile: z.string().min(1).optional(),
    /** Accept unauthenticated requests (local use only; set by --insecure-no-auth). */
    insecureNoAuth: z.boolean().default(false),
    /**
     * Largest body accepted (413 above). The generated template sends a few KiB for any app; 4 MiB leaves room
     * for an older template that sends all of operationState (about 1.7 MB for 6,000 resources).
     */
    bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Most time to receive a request's headers (ms), against a client that trickles them; 0: no limit. */
    headersTimeoutMs: z.number().int().min(0).default(10_000),
    /** Most time to receive a whole request, headers and body (ms), against a trickled body; 0: no limit. */
    requestTimeoutMs: z.number().int().min(0).default(30_000),
    /** A connection with no traffic at all for this long is closed (ms); 0: no limit. */
    connectionTimeoutMs: z.number().int().min(0).default(60_000),
    /** Connections held at once; more are refused. Keep it below the file-descriptor limit (ulimit -n); 0: no limit. */
    maxConnections: z.number().int().min(0).default(1_000),
    /**
     * The incident page's viewer token (`Authorization: Bearer`); from HOOK_ALERTS_VIEWER_TOKEN or the file
     * HOOK_ALERTS_VIEWER_TOKEN_FILE names. Set: the page is on. Never the webhook token.
     */
    viewerToken: z.string().min(MIN_TOKEN_LENGTH, `a viewer token needs at least ${MIN_TOKEN_LENGTH} characters`).optional(),
    /** Set from HOOK_ALERTS_VIEWER_TOKEN_FILE only: the file is read again when it changes (a rotated Secret). */
    viewerTokenFile: z.string().min(1).optional(),
    /**
     * Where users reach the service (https://alerts.example.com): Slack messages and emails link to the
     * incident page under it; from HOOK_ALERTS_PUBLIC_URL.
     */
    publicUrl: z.url({ protocol: /^https?$/, error: 'publicUrl must be an http(s) URL such as https://alerts.example.com' }).optional(),
    /**
     * The HMAC key of per-incident links (Slack, email) that open one incident's page without a login until
     * they expire; from HOOK_ALERTS_LINK_SIGNING_KEY or its _FILE. Set: the page is on.
     */
    linkSigningKey: z.string().min(32, 'a link-signing key needs at least 32 characters (openssl rand -hex 32)').optional(),
    /** How long a signed incident link works (hours). */
    linkTtlHours: z.number().int().min(1).max(24 * 90).default(24 * 7),
    /**
     * Trust an authenticating proxy in front (oauth2-proxy): a request carrying `userHeader` is that user's.
     * Only when the service is reachable through the proxy alone (docs/incident-page.md). Enabled: the page is on.
     */
    authProxy: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** The header the proxy sets to the signed-in user (oauth2-proxy: X-Forwarded-Email, or X-Auth-Request-Email). */
        userHeader: z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name (letters, digits, -)').default('X-Forwarded-Email'),
      })
      .prefault({}),
  })
  .refine((s) => s.viewerToken === undefined || s.viewerToken !== s.token, {
    message: 'viewerToken must differ from the webhook token: the webhook token never opens the incident page',
    path: ['viewerToken'],
  })
  .refine((s) => s.headersTimeoutMs === 0 || s.requestTimeoutMs === 0 || s.headersTimeoutMs <= s.requestTimeoutMs, {
    message: 'headersTimeoutMs must not exceed requestTimeoutMs (the headers are part of the request)',
    path: ['headersTimeoutMs'],
  });

export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** The incident page is on when one way in is configured: a viewer token, signed links, or a trusted proxy. */
export function incidentPageEnabled(server: Pick<ServerConfig, 'viewerToken' | 'linkSigningKey' | 'authProxy'>): boolean {
  return server.viewerToken !== undefined || server.linkSigningKey !== undefined || server.authProxy.enabled;
}
