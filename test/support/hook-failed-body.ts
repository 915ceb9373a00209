/** A hook Job as a contract-v1 body lists it (`operationState.syncResult.resources`). */
export interface BodyHook {
  name: string;
  namespace?: string;
  kind?: string;
}

/**
 * A contract-v1 `hook-failed` body built in code (no fixture file): app `app` in namespace argocd,
 * deployed to `destination` (default: in-cluster, namespace payments), one operation started at
 * `startedAt` (one incident per distinct value), with `hooks` as its failed PreSync hooks.
 */
export function hookFailedBody(o: {
  app?: string;
  startedAt?: string;
  destination?: { server?: string | null; name?: string | null; namespace?: string };
  hooks?: readonly BodyHook[];
}): Record<string, unknown> {
  const destination = { server: 'https://kubernetes.default.svc', name: null, namespace: 'payments', ...o.destination };
  const hooks = o.hooks ?? [{ name: 'db-migrate' }];
  return {
    version: 1,
    event: 'hook-failed',
    recipient: null,
    argocdUrl: 'https://argocd.example.com',
    app: { name: o.app ?? 'payments-api', namespace: 'argocd', uid: null, labels: null, annotations: null, project: 'payments', destination, source: null, sources: null },
    operationState: {
      phase: 'Failed',
      message: 'one or more synchronization tasks completed unsuccessfully',
      retryCount: 0,
      startedAt: o.startedAt ?? '2026-11-20T14:02:05Z',
      finishedAt: '2026-11-20T14:07:11Z',
      operation: { initiatedBy: { username: null, automated: true }, retry: null, sync: { revision: '9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d' } },
      syncResult: {
        revision: '9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d',
        resources: hooks.map((h) => ({
          group: 'batch',
          version: 'v1',
          kind: h.kind ?? 'Job',
          namespace: h.namespace ?? destination.namespace,
          name: h.name,
          status: 'Synced',
          message: 'Job has reached the specified backoff limit',
          hookType: 'PreSync',
          hookPhase: 'Failed',
          syncPhase: 'PreSync',
        })),
      },
    },
    sync: { status: 'OutOfSync', revision: '9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d' },
    health: { status: 'Healthy', message: null },
  };
}

/** The operation start of the i-th distinct incident of a bulk test. */
export function operationStart(i: number): string {
  return new Date(Date.UTC(2026, 10, 20, 14, 0, 0) + i * 1000).toISOString().replace('.000', '');
}
