import { z } from 'zod';
import { kubernetesConfigSchema, scrubConfigSchema } from '../enrich/enrich-config.js';
import { routingConfigSchema } from '../route/route-config.js';
import { emailConfigSchema, fileSinkConfigSchema, slackConfigSchema } from '../deliver/sink-config.js';
import { hookTypeSchema } from '../model/hook-type.js';

export const serverConfigSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65_535).default(8080),
  /** Webhook bearer token; from HOOK_ALERTS_TOKEN. */
  token: z.string().min(16, 'a webhook token needs at least 16 characters').optional(),
  /** Accept unauthenticated requests (local use only; set by --insecure-no-auth). */
  insecureNoAuth: z.boolean().default(false),
  bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
});

export const workerConfigSchema = z.strictObject({
  /** false runs intake only: accepted events wait in the store until a worker runs. */
  enabled: z.boolean().default(true),
  pollIntervalMs: z.number().int().min(10).max(60_000).default(250),
  /** How long a claimed delivery stays claimed before another pass may take it over. */
  leaseMs: z.number().int().min(1_000).max(3_600_000).default(120_000),
  /** One send (Slack call, SMTP transaction, file write) that takes longer is retried later. */
  sendTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  retry: z
    .strictObject({
      initialDelayMs: z.number().int().min(10).default(2_000),
      maxDelayMs: z.number().int().min(100).default(300_000),
      factor: z.number().min(1).max(10).default(2),
      /** After this age a delivery is marked dead (metrics and logs say so). */
      maxAgeMs: z.number().int().min(1_000).default(24 * 3_600_000),
    })
    .prefault({}),
});

export const storeConfigSchema = z.strictObject({
  /** Delivered incidents, events and deliveries older than this are deleted. */
  retentionDays: z.number().int().min(1).max(3_650).default(30),
});

export const configSchema = z.strictObject({
  /** Directory of the SQLite store, the outbox and the generated token; from HOOK_ALERTS_DATA_DIR. */
  dataDir: z.string().min(1).default('./data'),
  server: serverConfigSchema.prefault({}),
  store: storeConfigSchema.prefault({}),
  worker: workerConfigSchema.prefault({}),
  hooks: z
    .strictObject({
      /** Hook types whose failure is an alert; others are answered "ignored". */
      types: z.array(hookTypeSchema).min(1).default(['PreSync']),
    })
    .prefault({}),
  kubernetes: kubernetesConfigSchema.prefault({}),
  scrub: scrubConfigSchema.prefault({}),
  routing: routingConfigSchema.prefault({}),
  slack: slackConfigSchema.prefault({}),
  email: emailConfigSchema.prefault({}),
  file: fileSinkConfigSchema.prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;
