import { z } from 'zod';

/** Argo CD sync hook types that can alert (argocd.argoproj.io/hook values). */
export const hookTypeSchema = z.enum(['PreSync', 'Sync', 'PostSync', 'SyncFail']);
export type HookType = z.infer<typeof hookTypeSchema>;
