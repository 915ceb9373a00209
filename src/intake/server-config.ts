import { z } from 'zod';

/** The HTTP server: where it listens and what intake accepts. */
export const serverConfigSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65_535).default(8080),
  /** Webhook bearer token; from HOOK_ALERTS_TOKEN. */
  token: z.string().min(16, 'a webhook token needs at least 16 characters').optional(),
  /** Accept unauthenticated requests (local use only; set by --insecure-no-auth). */
  insecureNoAuth: z.boolean().default(false),
  bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
