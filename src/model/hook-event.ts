import { createHash } from 'node:crypto';
import { z } from 'zod';
import { eventKindSchema } from './contract-v1.js';

const nullableString = z.string().nullable();

/** One hook resource of the sync that the event is about. */
export const hookRefSchema = z.object({
  kind: z.string(),
  group: nullableString,
  namespace: nullableString,
  name: z.string(),
  hookType: z.string(),
  hookPhase: nullableString,
  syncPhase: nullableString,
  /** Argo CD's message for the hook: the Job's failed condition, "Terminated", ... */
  message: nullableString,
  images: z.array(z.string()),
});

const appSourceSchema = z.object({
  repoURL: nullableString,
  path: nullableString,
  chart: nullableString,
  targetRevision: nullableString,
});

/** The paths an event reaches the service by (docs/design.md, "The Application backstop"). */
export const seenBySchema = z.enum(['webhook', 'watch']);
export type SeenBy = z.infer<typeof seenBySchema>;

/**
 * What an event is about: the kinds Argo CD's webhook sends, and those the service raises itself from the
 * cluster (docs/alerts.md): `hook-blocked` (a hook pod that cannot start) and `hook-skipped` (a hook Job left
 * over from an earlier sync, so Argo CD did not run it this time, argo-cd#25475).
 */
export const hookEventKindSchema = z.enum([...eventKindSchema.options, 'hook-blocked', 'hook-skipped']);
export type HookEventKind = z.infer<typeof hookEventKindSchema>;

/** Kinds that are about one hook each rather than one operation: their hooks' names are part of the dedupe key. */
const PER_HOOK_KINDS: ReadonlySet<HookEventKind> = new Set(['hook-stuck', 'hook-blocked', 'hook-skipped']);

/** The normalized event that flows from intake to the rest of the pipeline. */
export const hookEventSchema = z.object({
  kind: hookEventKindSchema,
  recipient: nullableString,
  argocdUrl: nullableString,
  app: z.object({
    name: z.string(),
    namespace: z.string(),
    uid: nullableString,
    project: nullableString,
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
  }),
  destination: z.object({ server: nullableString, name: nullableString, namespace: nullableString }),
  sources: z.array(appSourceSchema),
  /** Revisions synced, one per source (a single entry for single-source apps). */
  revisions: z.array(z.string()),
  operation: z
    .object({
      phase: z.string(),
      message: nullableString,
      startedAt: z.string(),
      finishedAt: nullableString,
      retryCount: z.number().int(),
      retryLimit: z.number().int().nullable(),
      initiatedBy: z.object({ username: nullableString, automated: z.boolean() }),
    })
    .nullable(),
  /** Hooks this event is about: the failed ones, the running one (hook-stuck), the blocked one, the skipped ones. */
  hooks: z.array(hookRefSchema),
  health: nullableString,
  syncStatus: nullableString,
  receivedAt: z.string(),
  /**
   * Which path saw the failure first, when two can (the Application backstop runs beside Argo CD's webhook):
   * the webhook, or the service's own watch of the Application. Absent when only the webhook runs.
   */
  seenBy: seenBySchema.optional(),
});

export type HookEvent = z.infer<typeof hookEventSchema>;
export type HookRef = z.infer<typeof hookRefSchema>;

/** Identity of an incident: one failed operation of one app (docs/design.md, "Incidents and deduplication"). */
export function incidentKey(event: HookEvent): { appNamespace: string; appName: string; startedAt: string } | null {
  if (event.operation === null) return null;
  return { appNamespace: event.app.namespace, appName: event.app.name, startedAt: event.operation.startedAt };
}

/** Stable id of an incident, so that the same operation always maps to the same id, even across stores. */
export function incidentId(key: { appNamespace: string; appName: string; startedAt: string }): string {
  const digest = createHash('sha256').update(JSON.stringify([key.appNamespace, key.appName, key.startedAt])).digest('hex');
  return `inc_${digest.slice(0, 20)}`;
}

/**
 * Key under which a repeated delivery of the same event is recognized. The recipient is part of it: Argo CD
 * POSTs once per recipient and each may route elsewhere; routing to the same target dedupes later.
 */
export function eventDedupeKey(event: HookEvent): string {
  const op = event.operation;
  return createHash('sha256')
    .update(
      JSON.stringify([
        event.kind,
        event.app.namespace,
        event.app.name,
        op?.startedAt ?? null,
        op?.phase ?? null,
        op?.retryCount ?? null,
        op?.finishedAt ?? null,
        PER_HOOK_KINDS.has(event.kind) ? event.hooks.map((h) => h.name) : null,
        event.recipient,
      ]),
    )
    .digest('hex');
}
