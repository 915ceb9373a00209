import { loadApplication } from './contract-bodies.js';

type JsonObject = Record<string, unknown>;

const KINDS = [
  { group: 'apps', kind: 'Deployment', verb: 'deployment.apps', images: true },
  { group: '', kind: 'Service', verb: 'service', images: false },
  { group: '', kind: 'ConfigMap', verb: 'configmap', images: false },
  { group: 'networking.k8s.io', kind: 'Ingress', verb: 'ingress.networking.k8s.io', images: false },
  { group: 'autoscaling', kind: 'HorizontalPodAutoscaler', verb: 'horizontalpodautoscaler.autoscaling', images: false },
  { group: 'policy', kind: 'PodDisruptionBudget', verb: 'poddisruptionbudget.policy', images: false },
] as const;

/**
 * The `postsync-pod-failed` Application grown to `resources` synced resources before its PostSync hook
 * failed, with a `kubectl.kubernetes.io/last-applied-configuration` annotation that copies its spec (as
 * `kubectl apply` writes it) and inline Helm values. Each entry has the shape of Argo CD's
 * `ResourceResult` (argo-cd v3.5.1 pkg/apis/application/v1alpha1/types.go: group, version, kind,
 * namespace, name, status, message, hookType, hookPhase, syncPhase, images since 3.1); a non-hook resource
 * applied in the Sync phase is recorded `hookPhase: Running` with the kubectl message, as in the fixture.
 */
export function largeApplication(resources: number, event: 'hook-failed' | 'sync-succeeded' = 'hook-failed'): JsonObject {
  const app = structuredClone(loadApplication('postsync-pod-failed'));
  const metadata = app.metadata as JsonObject;
  const spec = app.spec as JsonObject;
  const source = spec.source as JsonObject;
  // Inline values as a chart with many components carries them: one block per component.
  const values = Array.from({ length: 400 }, (_, i) => `component${i}:\n  replicas: 3\n  image: registry.example.com/messaging/component-${i}:8.14.1\n  resources: {requests: {cpu: 100m, memory: 128Mi}}\n`).join('');
  source.helm = { ...(source.helm as JsonObject | undefined), releaseName: 'notify-gateway', values };
  const annotations = (metadata.annotations ?? {}) as Record<string, string>;
  annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: metadata.name, namespace: metadata.namespace },
    spec,
  });
  metadata.annotations = annotations;

  const status = app.status as JsonObject;
  const op = status.operationState as JsonObject;
  const syncResult = op.syncResult as JsonObject;
  const hooks = (syncResult.resources as JsonObject[]).filter((r) => r.hookType !== undefined);
  const plain: JsonObject[] = Array.from({ length: resources }, (_, i) => {
    const k = KINDS[i % KINDS.length] ?? KINDS[0];
    const name = `notify-gateway-component-${String(i).padStart(5, '0')}`;
    return {
      group: k.group,
      version: k.group === 'autoscaling' ? 'v2' : 'v1',
      kind: k.kind,
      namespace: 'messaging',
      name,
      status: 'Synced',
      message: `${k.verb}/${name} configured`,
      hookPhase: 'Running',
      syncPhase: 'Sync',
      ...(k.images ? { images: [`registry.example.com/messaging/component-${i}:8.14.1`] } : {}),
    };
  });
  const [preSync, ...afterSync] = hooks;
  syncResult.resources = [...(preSync === undefined ? [] : [preSync]), ...plain, ...afterSync];
  if (event === 'sync-succeeded') {
    op.phase = 'Succeeded';
    op.message = 'successfully synced (all tasks run)';
    for (const r of afterSync) {
      r.hookPhase = 'Succeeded';
      r.message = 'Pod completed';
    }
  }
  return app;
}
