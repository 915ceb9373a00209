import type { HookEvent, HookRef } from './hook-event.js';
import type { AlertReport } from './job-report.js';

/**
 * The `hook-skipped` warning of a successful sync, or null. A hook Job whose creationTimestamp is older than
 * the operation's startedAt was not created by this sync: Argo CD found it (healthy, from an earlier sync)
 * and did not run it (argo-cd#25475), so the migration it carries silently did not run. `report` holds the
 * Jobs as read after the sync (KubeEnricher reads only the Jobs of a sync-succeeded event).
 */
export function skippedHookEvent(event: HookEvent, report: AlertReport, now: Date): HookEvent | null {
  const op = event.operation;
  if (event.kind !== 'sync-succeeded' || op === null) return null;
  const started = Date.parse(op.startedAt);
  if (!Number.isFinite(started)) return null;
  const skipped: HookRef[] = [];
  for (const r of report.hooks) {
    const createdAt = r.job?.createdAt ?? null;
    const created = Date.parse(createdAt ?? '');
    if (createdAt === null || !Number.isFinite(created) || created >= started) continue;
    const ref = `Job ${r.job?.namespace ?? r.hook.namespace ?? ''}/${r.hook.name}`;
    skipped.push({
      ...r.hook,
      message: `Delete ${ref} and sync again to run it: it was created at ${createdAt}, before this sync started at ${op.startedAt}, so Argo CD found it already there and did not run it (argo-cd#25475). A delete policy that removes it before the next sync (argocd.argoproj.io/hook-delete-policy: BeforeHookCreation, or Helm's before-hook-creation) stops this from happening again.`,
    });
  }
  const first = skipped[0];
  if (first === undefined) return null;
  const lead = skipped.length === 1 ? (first.message ?? '') : `${skipped.length} hook Jobs were left over from an earlier sync and did not run in this one: delete them and sync again. ${first.message ?? ''}`;
  return { ...event, kind: 'hook-skipped', hooks: skipped, operation: { ...op, message: lead }, receivedAt: now.toISOString() };
}
