import type { ApplicationCondition, ContractV1Body, SyncResultResource } from '../model/contract-v1.js';
import type { HookEvent, HookRef, SeenBy } from '../model/hook-event.js';
import type { HookType } from '../model/hook-type.js';

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

// An answer names a few resources and counts the rest: a sync can fail on thousands.
const LISTED_RESOURCES = 5;

function listSome(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_RESOURCES).join(', ');
  return names.length > LISTED_RESOURCES ? `${shown} and ${names.length - LISTED_RESOURCES} more` : shown;
}

export type NormalizeResult = { event: HookEvent } | { ignored: string };

// "PreDelete hook(s) failed: ns/a, ns/b" (argo-cd v3.3+ controller/hook.go), after an optional prefix.
const DELETE_HOOKS_FAILED = /\b(PreDelete|PostDelete) hook\(s\) failed: (.+)$/;

/** A failed delete hook of the chosen types, read from a `DeletionError` condition of the Application. */
interface DeletionFailure {
  condition: ApplicationCondition;
  hooks: HookRef[];
}

function deletionFailure(body: ContractV1Body, wanted: ReadonlySet<string>): DeletionFailure | null {
  for (const condition of body.conditions ?? []) {
    if (condition.type !== 'DeletionError') continue;
    const m = DELETE_HOOKS_FAILED.exec(condition.message ?? '');
    const hookType = m?.[1];
    if (m === null || hookType === undefined || !wanted.has(hookType)) continue;
    const hooks = (m[2] ?? '')
      .split(', ')
      .map((ref) => ref.trim())
      .filter((ref) => ref !== '')
      .map((ref): HookRef => {
        const slash = ref.indexOf('/');
        return {
          // The message names namespace/name only; hooks are Jobs in practice, and enrichment says so when not.
          kind: 'Job',
          group: 'batch',
          namespace: slash > 0 ? ref.slice(0, slash) : null,
          name: slash >= 0 ? ref.slice(slash + 1) : ref,
          hookType,
          hookPhase: 'Failed',
          syncPhase: null,
          message: condition.message ?? null,
          images: [],
        };
      });
    if (hooks.length > 0) return { condition, hooks };
  }
  return null;
}

/**
 * Turn a validated contract-v1 body into a HookEvent, or say why it needs no alert. `seenBy` is recorded
 * when the Application backstop runs, so that the alert says which path saw the failure first. With
 * `checkSucceeded` (the cluster can be read), a successful sync keeps its succeeded Job hooks, whose Jobs
 * are then checked for hooks this sync did not run (hook-skipped).
 */
export function toHookEvent(
  body: ContractV1Body,
  hookTypes: readonly HookType[],
  receivedAt: Date,
  opts: { seenBy?: SeenBy; checkSucceeded?: boolean } = {},
): NormalizeResult {
  const { seenBy, checkSucceeded = false } = opts;
  const op = body.operationState ?? null;
  const resources = op?.syncResult?.resources ?? [];
  const wanted = new Set<string>(hookTypes);
  const terminated = TERMINATED_OPERATION.test(op?.message ?? '');
  const ofChosenType = resources.filter((r) => r.hookType != null && wanted.has(r.hookType));
  // A delete hook failure comes first: the operationState is then the last sync's, stale and long reported.
  const deletion = body.event === 'hook-failed' ? deletionFailure(body, wanted) : null;
  let hooks: (SyncResultResource | HookRef)[];
  if (deletion !== null) hooks = deletion.hooks;
  else if (body.event === 'hook-stuck') hooks = ofChosenType.filter((r) => r.hookPhase === 'Running');
  else if (body.event === 'sync-succeeded') {
    // Succeeded Job hooks, whose Jobs the worker reads to tell whether this sync ran them (hook-skipped).
    hooks = checkSucceeded ? ofChosenType.filter((r) => r.kind === 'Job' && (r.group == null || r.group === 'batch') && r.hookPhase === 'Succeeded') : [];
  } else hooks = ofChosenType.filter((r) => isFailedHook(r, terminated));

  if ((body.event === 'hook-failed' || body.event === 'hook-retrying') && hooks.length === 0) {
    const failed = resources.filter((r) => r.hookPhase != null && FAILED_PHASES.has(r.hookPhase));
    const otherHooks = [...new Set(failed.map((r) => r.hookType).filter((h): h is string => h != null))];
    const types = hookTypes.join(', ');
    let ignored = `no failed hook of the alerting types (${types}) in operationState.syncResult`;
    if (otherHooks.length > 0) ignored = `no failed hook of the alerting types (${types}); failed hooks are of type ${otherHooks.join(', ')}`;
    else if (failed.length > 0) ignored = `the sync failed on non-hook resources only (${listSome(failed.map((r) => `${r.kind}/${r.name}`))})`;
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
        deletion !== null
          ? deletionOperation(body, deletion.condition)
          : op === null
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
      ...(seenBy === undefined ? {} : { seenBy }),
    },
  };
}

/**
 * The Application's deletion as the operation of a delete hook incident: it starts at the
 * `deletionTimestamp` (one incident per deletion, whatever the stale operationState says) and each failed
 * attempt ends when Argo CD set the condition.
 */
function deletionOperation(body: ContractV1Body, condition: ApplicationCondition): NonNullable<HookEvent['operation']> {
  return {
    phase: 'DeletionError',
    message: condition.message ?? null,
    startedAt: body.app.deletionTimestamp ?? condition.lastTransitionTime ?? 'unknown deletion time',
    finishedAt: condition.lastTransitionTime ?? null,
    retryCount: 0,
    retryLimit: null,
    initiatedBy: { username: null, automated: false },
  };
}
