import {
  ANNOTATION_HOOK,
  HELM_HOOK,
  describePlacement,
  phaseRank,
  type SyncPhase,
} from '../hook-semantics.js';
import {
  describeObject,
  isAppWorkload,
  isRunnableHookPod,
  sameNamespace,
  type AnalyzedObject,
  type LintRule,
  type RuleHit,
} from '../lint-rule.js';
import { asRecord, asString, getIn } from '../manifest-object.js';
import { referencesOf, type PodReference, type ReferencedKind } from '../pod-spec.js';

/** An object in the manifests that brings a Secret, ConfigMap or ServiceAccount into existence. */
interface Provider {
  object: AnalyzedObject;
  kind: ReferencedKind;
  name: string;
  /**
   * Created by a controller from a custom resource (ExternalSecret, SealedSecret): such kinds sort after
   * Jobs and Pods within a wave (gitops-engine kindOrder), and the Secret appears only once the controller
   * has reconciled, so only a strictly lower wave is early enough.
   */
  generatedBy: string | null;
}

const directKinds = new Set<string>(['Secret', 'ConfigMap', 'ServiceAccount']);

function providersOf(o: AnalyzedObject): Provider[] {
  const { kind, name, apiVersion } = o.ref;
  if (directKinds.has(kind) && apiVersion === 'v1') {
    return name === null ? [] : [{ object: o, kind: kind as ReferencedKind, name, generatedBy: null }];
  }
  if (kind === 'ExternalSecret' && apiVersion.startsWith('external-secrets.io/')) {
    const target = asRecord(getIn(o.object, ['spec', 'target']));
    const policy = asString(target?.creationPolicy);
    // creationPolicy Merge/None writes into (or nothing but) a Secret someone else owns.
    if (policy === 'Merge' || policy === 'None') return [];
    const secretName = asString(target?.name) ?? name;
    return secretName === null ? [] : [{ object: o, kind: 'Secret', name: secretName, generatedBy: `ExternalSecret ${name ?? ''}` }];
  }
  if (kind === 'SealedSecret' && apiVersion.startsWith('bitnami.com/')) {
    const secretName = asString(getIn(o.object, ['spec', 'template', 'metadata', 'name'])) ?? name;
    return secretName === null ? [] : [{ object: o, kind: 'Secret', name: secretName, generatedBy: `SealedSecret ${name ?? ''}` }];
  }
  return [];
}

/** Providers and app usages by `Kind/name`, built once per object list (rules run over the same list). */
interface ReferenceIndex {
  providers: Map<string, Provider[]>;
  appUsers: Map<string, AnalyzedObject[]>;
  all: Provider[];
}

const indexes = new WeakMap<readonly AnalyzedObject[], ReferenceIndex>();

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function referenceIndex(objects: readonly AnalyzedObject[]): ReferenceIndex {
  const cached = indexes.get(objects);
  if (cached !== undefined) return cached;
  const all = objects.flatMap(providersOf);
  const providers = new Map<string, Provider[]>();
  for (const p of all) push(providers, `${p.kind}/${p.name}`, p);
  const appUsers = new Map<string, AnalyzedObject[]>();
  for (const w of objects) {
    if (!isAppWorkload(w) || w.pod === undefined) continue;
    for (const key of new Set(referencesOf(w.pod).map((r) => `${r.kind}/${r.name}`))) push(appUsers, key, w);
  }
  const index = { providers, appUsers, all };
  indexes.set(objects, index);
  return index;
}

function providersFor(index: ReferenceIndex, ref: PodReference, namespace: string | null): Provider[] {
  return (index.providers.get(`${ref.kind}/${ref.name}`) ?? []).filter((p) => sameNamespace(p.object.ref.namespace, namespace));
}

/** Whether `provider` exists by the time a hook in `phase`/`wave` is applied. */
function readyInTime(provider: Provider, phase: SyncPhase, wave: number): boolean {
  const first = provider.object.hook.phases[0];
  if (first === undefined) return false;
  const d = phaseRank(first) - phaseRank(phase);
  if (d !== 0) return d < 0;
  // Same phase: within a wave gitops-engine applies kinds in kindOrder (ServiceAccount, Secret and
  // ConfigMap before Pod and Job) and waits for each kind group's apply before the next.
  return provider.generatedBy !== null ? provider.object.hook.wave < wave : provider.object.hook.wave <= wave;
}

function consequence(ref: PodReference): string {
  if (ref.kind === 'ServiceAccount') return 'the Job controller cannot create the pod ("error looking up service account")';
  if (ref.via === 'imagePullSecrets') return 'pulling the image from a private registry fails (ImagePullBackOff)';
  if (ref.via.includes('volume')) return 'the pod cannot mount the volume (FailedMount) and stays in ContainerCreating';
  return 'the container cannot start (CreateContainerConfigError)';
}

function referencedByApp(index: ReferenceIndex, provider: Provider): AnalyzedObject[] {
  return (index.appUsers.get(`${provider.kind}/${provider.name}`) ?? []).filter((w) =>
    sameNamespace(w.ref.namespace, provider.object.ref.namespace),
  );
}

/** Group a hook's references by (kind, name) so one missing Secret used three times is one finding. */
function groupedReferences(hook: AnalyzedObject): { first: PodReference; vias: string[] }[] {
  if (hook.pod === undefined) return [];
  const groups = new Map<string, { first: PodReference; vias: string[] }>();
  for (const ref of referencesOf(hook.pod)) {
    const key = `${ref.kind}/${ref.name}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { first: ref, vias: [ref.via] });
    else {
      if (!g.vias.includes(ref.via)) g.vias.push(ref.via);
      // Required anywhere means required.
      if (!ref.optional) g.first = { ...g.first, optional: false };
    }
  }
  return [...groups.values()];
}

function hookAnnotationAdvice(hook: AnalyzedObject, hookPhase: SyncPhase, wave: number): string {
  if (hook.hook.source === 'helm' && hookPhase === 'PreSync') {
    return `"helm.sh/hook": pre-install,pre-upgrade and "helm.sh/hook-weight": "${wave}"`;
  }
  return `argocd.argoproj.io/hook: ${hookPhase} and argocd.argoproj.io/sync-wave: "${wave}"`;
}

/** Only the phases whose order is known before the hook runs; a SyncFail hook can start after any wave. */
function orderedPhase(hook: AnalyzedObject): SyncPhase | undefined {
  const first = hook.hook.phases[0];
  return first === 'PreSync' || first === 'Sync' || first === 'PostSync' ? first : undefined;
}

const appliedLate: LintRule = {
  id: 'hook-ref-applied-late',
  severity: 'error',
  title: 'A hook needs a Secret, ConfigMap or ServiceAccount that Argo CD applies after the hook runs',
  rationale:
    'Argo CD orders a sync by phase first and by sync-wave only within a phase. A plain (non-hook) Secret is applied in the Sync phase, after every PreSync hook has finished, whatever its sync-wave. A PreSync migration Job that reads it cannot start on the first sync (CreateContainerConfigError, FailedMount, or no pod at all for a missing ServiceAccount) and reads the previous version on later syncs.',
  fix:
    'For a PreSync hook, make what it needs a PreSync hook too, in the same or a lower sync-wave (an earlier sync-wave alone does not help; phase comes before wave). If the app uses the same object, give the hook its own copy. For a Sync hook, a plain resource in the same or a lower wave is enough.',
  check(objects) {
    const index = referenceIndex(objects);
    const hits: RuleHit[] = [];
    for (const hook of objects.filter(isRunnableHookPod)) {
      const phase = orderedPhase(hook);
      if (phase === undefined) continue;
      const wave = hook.hook.wave;
      for (const { first: ref, vias } of groupedReferences(hook)) {
        const providers = providersFor(index, ref, hook.ref.namespace);
        if (providers.length === 0 || providers.some((p) => readyInTime(p, phase, wave))) continue;
        const p = providers[0];
        if (p === undefined) continue;
        const what = `${ref.kind} ${ref.name}`;
        const pFirst = p.object.hook.phases[0];
        const samePhase = pFirst === phase;
        let why: string;
        if (pFirst === undefined) {
          why = `${describeObject(p.object.ref)} is never applied during a sync (hook types: ${p.object.hook.types.join(', ') || 'none Argo CD knows'})`;
        } else if (!p.object.hook.isHook && phase === 'PreSync') {
          why = `${p.generatedBy ?? what} is not a hook, so Argo CD applies it in the Sync phase, after every PreSync hook has finished, whatever its sync-wave (${p.object.hook.wave})`;
        } else if (samePhase && p.generatedBy !== null && p.object.hook.wave === wave) {
          why = `${what} is created by ${p.generatedBy} in the same wave (${wave}): Argo CD applies custom kinds after Jobs and Pods within a wave, and the controller writes the Secret only after that`;
        } else {
          why = `${p.generatedBy !== null ? `${what} comes from ${p.generatedBy}, which is` : `${what} is`} ${describePlacement(p.object.hook)}, later than the hook (${phase}, wave ${wave})`;
        }
        const usedByApp = referencedByApp(index, p).length > 0;
        // One below the hook's wave: clearly first, and required for a generated Secret.
        const targetWave = wave - 1;
        let fix: string;
        if (phase === 'PreSync' && (pFirst === undefined || !p.object.hook.isHook || phaseRank(pFirst) > phaseRank(phase))) {
          fix = usedByApp
            ? `Give the hook its own ${ref.kind} (for example ${ref.name}-migrate) annotated ${hookAnnotationAdvice(hook, 'PreSync', targetWave)}, and keep ${ref.name} a plain resource for the app: a hook ${ref.kind} is deleted and recreated by Argo CD (rule hook-resource-used-by-app). An earlier sync-wave alone does not help: phase comes before wave.`
            : `Annotate ${p.generatedBy ?? what} with ${hookAnnotationAdvice(hook, 'PreSync', targetWave)} (${p.generatedBy !== null ? 'a wave lower than' : 'at most'} the hook's wave ${wave}). An earlier sync-wave alone does not help: phase comes before wave.`;
        } else {
          fix = `Move ${p.generatedBy ?? what} to sync-wave ${p.generatedBy !== null ? targetWave : wave} or lower (the hook is in wave ${wave})${pFirst !== undefined && phaseRank(pFirst) > phaseRank(phase) ? `, in the ${phase} phase or an earlier one` : ''}.`;
        }
        hits.push({
          object: hook,
          path: ref.path,
          severity: ref.optional ? 'warning' : undefined,
          message: `${describeObject(hook.ref)} is a ${phase} hook (wave ${wave}) and needs ${what} (${vias.join(', ')}), but ${why}. When the hook runs, ${consequence(ref)}${phase === 'PreSync' && !p.object.hook.isHook && ref.kind !== 'ServiceAccount' ? `; on later syncs the hook reads the previous version of ${ref.name}` : ''}.`,
          fix,
        });
      }
    }
    return hits;
  },
};

const notInManifests: LintRule = {
  id: 'hook-ref-missing',
  severity: 'info',
  title: 'A hook needs a Secret, ConfigMap or ServiceAccount that is not in these manifests',
  rationale:
    'Argo CD cannot order what it does not apply. The object may exist in the cluster (created by External Secrets, another Application, or by hand); if it does not exist when the hook starts, the hook pod cannot start and the sync hangs.',
  fix: 'Nothing to change if something outside this app creates it before the sync; otherwise add it to the manifests as a hook of the same phase in the same or a lower wave.',
  check(objects) {
    const index = referenceIndex(objects);
    const hits: RuleHit[] = [];
    for (const hook of objects.filter(isRunnableHookPod)) {
      for (const { first: ref, vias } of groupedReferences(hook)) {
        if (ref.optional || providersFor(index, ref, hook.ref.namespace).length > 0) continue;
        hits.push({
          object: hook,
          path: ref.path,
          message: `${describeObject(hook.ref)} needs ${ref.kind} ${ref.name} (${vias.join(', ')}), which is not in these manifests. It may exist in the cluster; if it does not when the hook starts, ${consequence(ref)}.`,
          fix: `Check that ${ref.kind} ${ref.name} exists in the destination namespace before every sync (External Secrets, another Application, a cluster bootstrap), or add it here as a ${hook.hook.phases[0] ?? 'PreSync'} hook in wave ${hook.hook.wave} or lower.`,
        });
      }
    }
    return hits;
  },
};

function deletionConsequence(p: AnalyzedObject): string {
  const parts: string[] = [];
  const policies = p.hook.deletePolicies;
  if (policies.includes('BeforeHookCreation')) {
    parts.push('Argo CD deletes and recreates it at the start of every sync, so app pods that start in that window fail');
  }
  if (policies.includes('HookSucceeded')) {
    parts.push('Argo CD deletes it when a sync succeeds, so every app pod started afterwards (restart, scale-up, node drain) fails');
  }
  if (policies.includes('HookFailed')) parts.push('Argo CD deletes it when a sync fails, taking the running app down with the next pod restart');
  return parts.join('; ');
}

const usedByApp: LintRule = {
  id: 'hook-resource-used-by-app',
  severity: 'error',
  title: 'A Secret, ConfigMap or ServiceAccount is a hook and is also used by the app',
  rationale:
    'Argo CD deletes hook resources by their delete policy (BeforeHookCreation, the default, deletes and recreates them on every sync; HookSucceeded deletes them after a successful sync). The app\'s Deployments and other workloads that need the same object then fail to start pods.',
  fix: 'Keep one copy for the app as a plain resource and give the hook its own copy (a separate name) as a PreSync hook. With External Secrets or Sealed Secrets, create two objects from the same source.',
  check(objects) {
    const index = referenceIndex(objects);
    const hits: RuleHit[] = [];
    for (const p of index.all) {
      if (!p.object.hook.isHook || p.object.hook.types.length === 0) continue;
      const users = referencedByApp(index, p);
      if (users.length === 0) continue;
      const a = p.object.hook.source === 'helm' ? HELM_HOOK : ANNOTATION_HOOK;
      hits.push({
        object: p.object,
        path: ['metadata', 'annotations', a],
        message: `${p.generatedBy ?? `${p.kind} ${p.name}`} is a ${p.object.hook.types.join(',')} hook and is also used by ${users.map((u) => describeObject(u.ref)).join(', ')}: ${deletionConsequence(p.object)}.`,
        fix: `Keep ${p.kind} ${p.name} a plain resource (no hook annotation) for the app, and give the hook its own copy, for example ${p.name}-migrate, annotated as a PreSync hook in a wave lower than the migration Job's.`,
      });
    }
    return hits;
  },
};

/** Rules about what a hook's pod needs and when Argo CD creates it. */
export const hookReferenceRules: readonly LintRule[] = [appliedLate, notInManifests, usedByApp];
