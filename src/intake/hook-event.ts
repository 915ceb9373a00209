import { createHash } from 'node:crypto';
import { z } from 'zod';
import { eventKindSchema, type ContractV1Body, type SyncResultResource } from './contract-v1.js';
import type { HookType } from '../config/schema.js';

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

export const appSourceSchema = z.object({
  repoURL: nullableString,
  path: nullableString,
  chart: nullableString,
  targetRevision: nullableString,
});

/** The normalized event that flows from intake to the rest of the pipeline. */
export const hookEventSchema = z.object({
  kind: eventKindSchema,
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
  /** Hooks this event is about: the failed ones, or the running one for hook-stuck. */
  hooks: z.array(hookRefSchema),
  health: nullableString,
  syncStatus: nullableString,
  receivedAt: z.string(),
});

export type HookEvent = z.infer<typeof hookEventSchema>;
export type HookRef = z.infer<typeof hookRefSchema>;

const FAILED_PHASES = new Set(['Failed', 'Error']);
// Argo CD 3.x records a hook it deleted on timeout/terminate as Failed + "Terminated"; older versions
// record it Succeeded/Deleted, so the operation's own "Operation terminated" message is the signal there.
const TERMINATED_OPERATION = /operation terminated/i;

function isFailedHook(r: SyncResultResource, operationTerminated: boolean): boolean {
  if (r.hookPhase != null && FAILED_PHASES.has(r.hookPhase)) return true;
  if (r.message === 'Terminated') return true;
  return operationTerminated && (r.hookPhase === 'Running' || r.hookPhase === 'Terminating');
}

function toHookRef(r: SyncResultResource): HookRef {
  return {
    kind: r.kind,
    group: r.group ?? null,
    namespace: r.namespace ?? null,
    name: r.name,
    hookType: r.hookType ?? 'unknown',
    hookPhase: r.hookPhase ?? null,
    syncPhase: r.syncPhase ?? null,
    message: r.message ?? null,
    images: r.images ?? [],
  };
}

export type NormalizeResult = { event: HookEvent } | { ignored: string };

/** Turn a validated contract-v1 body into a HookEvent, or say why it needs no alert. */
export function toHookEvent(body: ContractV1Body, hookTypes: readonly HookType[], receivedAt: Date): NormalizeResult {
  const op = body.operationState ?? null;
  const resources = op?.syncResult?.resources ?? [];
  const wanted = new Set<string>(hookTypes);
  const terminated = TERMINATED_OPERATION.test(op?.message ?? '');
  const ofChosenType = resources.filter((r) => r.hookType != null && wanted.has(r.hookType));
  const hooks =
    body.event === 'hook-stuck'
      ? ofChosenType.filter((r) => r.hookPhase === 'Running')
      : body.event === 'sync-succeeded'
        ? []
        : ofChosenType.filter((r) => isFailedHook(r, terminated));

  if ((body.event === 'hook-failed' || body.event === 'hook-retrying') && hooks.length === 0) {
    const failed = resources.filter((r) => r.hookPhase != null && FAILED_PHASES.has(r.hookPhase));
    const otherHooks = [...new Set(failed.map((r) => r.hookType).filter((h): h is string => h != null))];
    const types = hookTypes.join(', ');
    let ignored = `no failed hook of the alerting types (${types}) in operationState.syncResult`;
    if (otherHooks.length > 0) ignored = `no failed hook of the alerting types (${types}); failed hooks are of type ${otherHooks.join(', ')}`;
    else if (failed.length > 0) ignored = `the sync failed on non-hook resources only (${failed.map((r) => `${r.kind}/${r.name}`).join(', ')})`;
    return { ignored };
  }
  if (body.event === 'hook-stuck' && hooks.length === 0) {
    return { ignored: `no running hook of the alerting types (${hookTypes.join(', ')})` };
  }

  const sources = body.app.sources ?? (body.app.source == null ? [] : [body.app.source]);
  const revisions =
    op?.syncResult?.revisions ??
    op?.operation?.sync?.revisions ??
    [op?.syncResult?.revision ?? op?.operation?.sync?.revision ?? body.sync?.revision].filter(
      (r): r is string => typeof r === 'string' && r !== '',
    );

  return {
    event: {
      kind: body.event,
      recipient: body.recipient ?? null,
      argocdUrl: body.argocdUrl ?? null,
      app: {
        name: body.app.name,
        namespace: body.app.namespace,
        uid: body.app.uid ?? null,
        project: body.app.project ?? null,
        labels: body.app.labels ?? {},
        annotations: body.app.annotations ?? {},
      },
      destination: {
        server: body.app.destination?.server ?? null,
        name: body.app.destination?.name ?? null,
        namespace: body.app.destination?.namespace ?? null,
      },
      sources: sources.map((s) => ({
        repoURL: s.repoURL ?? null,
        path: s.path ?? null,
        chart: s.chart ?? null,
        targetRevision: s.targetRevision ?? null,
      })),
      revisions,
      operation:
        op === null
          ? null
          : {
              phase: op.phase,
              message: op.message ?? null,
              startedAt: op.startedAt,
              finishedAt: op.finishedAt ?? null,
              retryCount: op.retryCount ?? 0,
              retryLimit: op.operation?.retry?.limit ?? null,
              initiatedBy: {
                username: op.operation?.initiatedBy?.username ?? null,
                automated: op.operation?.initiatedBy?.automated ?? false,
              },
            },
      hooks: hooks.map(toHookRef),
      health: body.health?.status ?? null,
      syncStatus: body.sync?.status ?? null,
      receivedAt: receivedAt.toISOString(),
    },
  };
}

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
        event.kind === 'hook-stuck' ? event.hooks.map((h) => h.name) : null,
        event.recipient,
      ]),
    )
    .digest('hex');
}
