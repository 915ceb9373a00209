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
  })
  .refine((s) => s.headersTimeoutMs === 0 || s.requestTimeoutMs === 0 || s.headersTimeoutMs <= s.requestTimeoutMs, {
    message: 'headersTimeoutMs must not exceed requestTimeoutMs (the headers are part of the request)',
    path: ['headersTimeoutMs'],
  });

export type ServerConfig = z.infer<typeof serverConfigSchema>;
