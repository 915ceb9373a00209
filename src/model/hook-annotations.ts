/**
 * How Argo CD reads a hook resource's annotations at run time, for the parts the service reasons about on
 * live Jobs (gitops-engine pkg/sync/hook: hook.go Types, delete_policy.go DeletePolicies, helm/*.go), and
 * Helm's output log policy (HIP-0019, helm.sh/hook-output-log-policy). The linter reads manifests with the
 * same maps (src/lint/hook-semantics.ts).
 */
export const ARGOCD_HOOK = 'argocd.argoproj.io/hook';
export const ARGOCD_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
export const HELM_HOOK = 'helm.sh/hook';
export const HELM_DELETE_POLICY = 'helm.sh/hook-delete-policy';
export const HELM_OUTPUT_LOG_POLICY = 'helm.sh/hook-output-log-policy';

/** Helm hooks Argo CD maps onto its own (docs/user-guide/helm.md "Helm Hooks", hook/helm/type.go). */
export const HELM_HOOK_TYPES: Readonly<Record<string, string>> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
  'pre-delete': 'PreDelete',
  'post-delete': 'PostDelete',
};

/** Helm delete policies as Argo CD's (hook/helm/delete_policy.go). */
export const HELM_DELETE_POLICIES: Readonly<Record<string, 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed'>> = {
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

/** resourceutil.GetAnnotationCSVs: comma-separated, trimmed, empty and duplicate items dropped. */
export function annotationCsv(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set(value.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
}

/** The hook type a live resource runs as: Argo CD's annotation, else the first Helm hook Argo CD maps; null when not a hook. */
export function hookTypeOf(annotations: Readonly<Record<string, string>>): string | null {
  const argo = annotationCsv(annotations[ARGOCD_HOOK]);
  if (argo.length > 0) return argo[0] ?? null;
  for (const v of annotationCsv(annotations[HELM_HOOK])) {
    const mapped = HELM_HOOK_TYPES[v];
    if (mapped !== undefined) return mapped;
  }
  return null;
}

/** The delete policies a resource names, Argo CD's and Helm's together in Argo CD's names (hook.DeletePolicies before its default). */
export function explicitDeletePolicies(annotations: Readonly<Record<string, string>>): string[] {
  const helm = annotationCsv(annotations[HELM_DELETE_POLICY]).flatMap((v) => {
    const mapped = HELM_DELETE_POLICIES[v];
    return mapped === undefined ? [] : [mapped];
  });
  return [...new Set([...annotationCsv(annotations[ARGOCD_DELETE_POLICY]), ...helm])];
}

/** The delete policies Argo CD applies (hook.DeletePolicies): those named, else BeforeHookCreation. */
export function deletePoliciesOf(annotations: Readonly<Record<string, string>>): string[] {
  const named = explicitDeletePolicies(annotations);
  return named.length === 0 ? ['BeforeHookCreation'] : named;
}

/**
 * Whether a hook's logs may be captured for this outcome: Helm's `helm.sh/hook-output-log-policy` lists the
 * outcomes (`hook-succeeded`, `hook-failed`) whose logs are wanted; without it, a failure's logs are (the
 * service's own default) and a success's are not.
 */
export function logsWanted(annotations: Readonly<Record<string, string>>, outcome: 'succeeded' | 'failed'): boolean {
  const policy = annotations[HELM_OUTPUT_LOG_POLICY];
  if (policy === undefined) return outcome === 'failed';
  return annotationCsv(policy).includes(outcome === 'failed' ? 'hook-failed' : 'hook-succeeded');
}
