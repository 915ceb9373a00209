import { z } from 'zod';
import { kubernetesConfigSchema, scrubConfigSchema } from '../enrich/enrich-config.js';
import { routingConfigSchema } from '../route/route-config.js';
import { emailConfigSchema, fileSinkConfigSchema, slackConfigSchema } from '../deliver/sink-config.js';
import { hookTypeSchema } from '../model/hook-type.js';
import { serverConfigSchema } from '../intake/server-config.js';
import { workerConfigSchema } from '../worker/worker-config.js';

const storeConfigSchema = z.strictObject({
  /** Delivered incidents, events and deliveries older than this are deleted. */
  retentionDays: z.number().int().min(1).max(3_650).default(30),
  /** Set: the store is PostgreSQL (several replicas may share it) instead of SQLite in dataDir. */
  postgres: z
    .strictObject({
      /** postgres://user@host:5432/db?sslmode=verify-full&sslrootcert=/path; from HOOK_ALERTS_DATABASE_URL. */
      url: z.string().min(1).optional(),
      /** Wins over a password in the URL; from HOOK_ALERTS_DATABASE_PASSWORD or the file HOOK_ALERTS_DATABASE_PASSWORD_FILE names. */
      password: z.string().min(1).optional(),
      /** Connections per process. */
      poolSize: z.number().int().min(2).max(100).default(10),
    })
    .prefault({}),
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
