import { z } from 'zod';

/** The annotation that holds a copy of the whole Application spec: never part of a body (the webhook's or the watch's). */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The path Argo CD's webhook service POSTs contract v1 events to. */
export const EVENTS_ROUTE = '/v1/argocd/events';

/**
 * Webhook contract v1 (docs/design.md, "The webhook contract (v1)"): the JSON that the generated Argo CD
 * templates render. Every value goes through `toJson`, so a field Argo CD omits arrives as `null`:
 * everything optional here is `.nullish()`.
 * Objects are loose: unknown fields are kept for forward compatibility.
 */
// A UTF-16 surrogate without its partner: JSON allows "\ud800", but no sink can encode it (encodeURIComponent
// throws "URI malformed"), so such an event would be accepted and then fail every delivery.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The index of the first lone surrogate in `value`, or -1 when it is well-formed Unicode. */
function loneSurrogateAt(value: string): number {
  return LONE_SURROGATE.exec(value)?.index ?? -1;
}

/** Text every sink can encode: a string without lone surrogates. */
const text = z.string().superRefine((value, ctx) => {
  const at = loneSurrogateAt(value);
  if (at !== -1) {
    const unit = value.charCodeAt(at).toString(16);
    ctx.addIssue({
      code: 'custom',
      message: `holds a lone UTF-16 surrogate (\\u${unit} at character ${at}), which no sink can encode: send valid Unicode`,
    });
  }
});
const str = text.nullish();

/** At most this many entries in a list or map of the body (revisions, sources, images, labels, annotations). */
const MAX_LIST_ENTRIES = 1_000;
/**
 * At most this many entries of `syncResult.resources` are validated and kept: hooks, and other resources that
 * failed (they name what failed when no hook did). The rest of the list is never read, however long it is.
 */
export const MAX_HOOK_RESOURCES = 1_000;

// Count first (no issue per entry), then validate at most `max` entries: a list of 250,000 invalid entries
// costs one issue, not 250,000.
function boundedArray<T extends z.ZodType>(item: T, max = MAX_LIST_ENTRIES) {
  return z.array(z.unknown()).max(max, `at most ${max} entries`).pipe(z.array(item));
}

function boundedRecord<T extends z.ZodType>(value: T, max = MAX_LIST_ENTRIES) {
  return z
    .record(z.string(), z.unknown())
    .refine((r) => Object.keys(r).length <= max, `at most ${max} entries`)
    .pipe(z.record(text, value));
}

export const eventKindSchema = z.enum(['hook-failed', 'hook-retrying', 'sync-succeeded', 'hook-stuck']);
export type EventKind = z.infer<typeof eventKindSchema>;

const applicationSourceSchema = z.looseObject({
  repoURL: str,
  path: str,
  chart: str,
  targetRevision: str,
});

const destinationSchema = z.looseObject({
  server: str,
  name: str,
  namespace: str,
});

const syncResultResourceSchema = z.looseObject({
  group: str,
  version: str,
  kind: text,
  namespace: str,
  name: text,
  status: str,
  message: str,
  hookType: str,
  hookPhase: str,
  syncPhase: str,
  images: boundedArray(text).nullish(),
});

const FAILED_PHASES = new Set<unknown>(['Failed', 'Error']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `syncResult.resources` lists every resource of the sync, thousands in a large app; only hooks and failed
 * resources matter to an alert. The others become `null` unread (neither validated nor kept), as does every
 * entry after the first MAX_HOOK_RESOURCES that matter; nulls keep each issue at its index in the list.
 */
function blankWhatDoesNotMatter(entries: unknown[]): unknown[] {
  let considered = 0;
  return entries.map((entry) => {
    const matters = isRecord(entry) && ((entry.hookType != null && entry.hookType !== '') || FAILED_PHASES.has(entry.hookPhase));
    if (!matters || considered >= MAX_HOOK_RESOURCES) return null;
    considered++;
    return entry;
  });
}

const syncResultResourcesSchema = z
  .array(z.unknown())
  .transform(blankWhatDoesNotMatter)
  .pipe(z.array(syncResultResourceSchema.nullable()))
  .transform((resources) => resources.filter((r): r is SyncResultResource => r !== null));

const operationStateSchema = z.looseObject({
  phase: text,
  message: str,
  retryCount: z.number().int().nullish(),
  startedAt: text.min(1),
  finishedAt: str,
  operation: z
    .looseObject({
      initiatedBy: z.looseObject({ username: str, automated: z.boolean().nullish() }).nullish(),
      retry: z.looseObject({ limit: z.number().int().nullish() }).nullish(),
      sync: z
        .looseObject({ revision: str, revisions: boundedArray(text).nullish() })
        .nullish(),
    })
    .nullish(),
  syncResult: z
    .looseObject({
      revision: str,
      revisions: boundedArray(text).nullish(),
      resources: syncResultResourcesSchema.nullish(),
    })
    .nullish(),
});

/** A condition of the Application (`status.conditions[]`): the template sends only `DeletionError` ones. */
const applicationConditionSchema = z.looseObject({ type: str, message: str, lastTransitionTime: str });

export const contractV1Schema = z.looseObject({
  version: z.literal(1),
  event: eventKindSchema,
  recipient: str,
  argocdUrl: str,
  app: z.looseObject({
    name: text.min(1),
    namespace: text.min(1),
    uid: str,
    /** Set once the Application is being deleted: the identity of a delete hook incident. */
    deletionTimestamp: str,
    labels: boundedRecord(text).nullish(),
    annotations: boundedRecord(text).nullish(),
    project: str,
    destination: destinationSchema.nullish(),
    source: applicationSourceSchema.nullish(),
    sources: boundedArray(applicationSourceSchema).nullish(),
  }),
  operationState: operationStateSchema.nullish(),
  conditions: boundedArray(applicationConditionSchema).nullish(),
  sync: z.looseObject({ status: str, revision: str, revisions: boundedArray(text).nullish() }).nullish(),
  health: z.looseObject({ status: str, message: str }).nullish(),
});

export type ContractV1Body = z.infer<typeof contractV1Schema>;
export type SyncResultResource = z.infer<typeof syncResultResourceSchema>;
export type ApplicationCondition = z.infer<typeof applicationConditionSchema>;
