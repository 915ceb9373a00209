import { z } from 'zod';

/** The path Argo CD's webhook service POSTs contract v1 events to. */
export const EVENTS_ROUTE = '/v1/argocd/events';

/**
 * Webhook contract v1 (docs/design.md, "The webhook contract (v1)"): the JSON that the generated Argo CD
 * templates render. Every value goes through `toJson`, so a field Argo CD omits arrives as `null`:
 * everything optional here is `.nullish()`.
 * Objects are loose: unknown fields are kept for forward compatibility.
 */
const str = z.string().nullish();

export const eventKindSchema = z.enum(['hook-failed', 'hook-retrying', 'sync-succeeded', 'hook-stuck']);
export type EventKind = z.infer<typeof eventKindSchema>;

export const applicationSourceSchema = z.looseObject({
  repoURL: str,
  path: str,
  chart: str,
  targetRevision: str,
});

export const destinationSchema = z.looseObject({
  server: str,
  name: str,
  namespace: str,
});

export const syncResultResourceSchema = z.looseObject({
  group: str,
  version: str,
  kind: z.string(),
  namespace: str,
  name: z.string(),
  status: str,
  message: str,
  hookType: str,
  hookPhase: str,
  syncPhase: str,
  images: z.array(z.string()).nullish(),
});

export const operationStateSchema = z.looseObject({
  phase: z.string(),
  message: str,
  retryCount: z.number().int().nullish(),
  startedAt: z.string().min(1),
  finishedAt: str,
  operation: z
    .looseObject({
      initiatedBy: z.looseObject({ username: str, automated: z.boolean().nullish() }).nullish(),
      retry: z.looseObject({ limit: z.number().int().nullish() }).nullish(),
      sync: z
        .looseObject({ revision: str, revisions: z.array(z.string()).nullish() })
        .nullish(),
    })
    .nullish(),
  syncResult: z
    .looseObject({
      revision: str,
      revisions: z.array(z.string()).nullish(),
      resources: z.array(syncResultResourceSchema).nullish(),
    })
    .nullish(),
});

export const contractV1Schema = z.looseObject({
  version: z.literal(1),
  event: eventKindSchema,
  recipient: str,
  argocdUrl: str,
  app: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().min(1),
    uid: str,
    labels: z.record(z.string(), z.string()).nullish(),
    annotations: z.record(z.string(), z.string()).nullish(),
    project: str,
    destination: destinationSchema.nullish(),
    source: applicationSourceSchema.nullish(),
    sources: z.array(applicationSourceSchema).nullish(),
  }),
  operationState: operationStateSchema.nullish(),
  sync: z.looseObject({ status: str, revision: str, revisions: z.array(z.string()).nullish() }).nullish(),
  health: z.looseObject({ status: str, message: str }).nullish(),
});

export type ContractV1Body = z.infer<typeof contractV1Schema>;
export type SyncResultResource = z.infer<typeof syncResultResourceSchema>;
