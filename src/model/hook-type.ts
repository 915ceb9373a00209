import { z } from 'zod';

/**
 * Argo CD hook types that can alert (argocd.argoproj.io/hook values): the sync hooks, and the delete hooks
 * of Argo CD 3.3+, which run when the Application is deleted and fail as a `DeletionError` condition.
 */
export const hookTypeSchema = z.enum(['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PreDelete', 'PostDelete']);
export type HookType = z.infer<typeof hookTypeSchema>;

/** Hook types that run when the Application is deleted, not in a sync. */
export const DELETE_HOOK_TYPES: readonly HookType[] = ['PreDelete', 'PostDelete'];
