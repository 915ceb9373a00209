import { z } from 'zod';

/** The delivery worker: polling, leases, the per-send timeout and the retry schedule. */
export const workerConfigSchema = z.strictObject({
  /** false runs intake only: accepted events wait in the store until a worker runs. */
  enabled: z.boolean().default(true),
  /**
   * Run the worker, enrichment, the cluster watchers and the sinks in a thread of their own (with their
   * own store connection), so that delivering never delays a webhook's answer. false: on the HTTP event
   * loop, one heap less. An in-memory store (dataDir ':memory:') always runs them inline.
   */
  thread: z.boolean().default(true),
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

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
