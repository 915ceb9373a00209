/**
 * How Argo CD reads the hook annotations of one object, mirrored from its sync engine
 * (argo-cd gitops-engine/pkg/sync: hook/hook.go, hook/delete_policy.go, hook/helm/*.go,
 * syncwaves/waves.go, sync_phase.go, sync_tasks.go; controller/hook.go for PreDelete/PostDelete).
 * Every rule derives ordering and deletion from here, so the linter and Argo CD cannot disagree
 * about which phase and wave an object is in.
 */
import { z } from 'zod';
import { annotationsOf, type JsonRecord } from './manifest-object.js';
import { annotationCsv, HELM_DELETE_POLICIES, HELM_HOOK_TYPES } from '../model/hook-annotations.js';

export const ANNOTATION_HOOK = 'argocd.argoproj.io/hook';
export const ANNOTATION_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
const ANNOTATION_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const HELM_HOOK = 'helm.sh/hook';
export const HELM_DELETE_POLICY = 'helm.sh/hook-delete-policy';
const HELM_WEIGHT = 'helm.sh/hook-weight';

/** Values Argo CD accepts in `argocd.argoproj.io/hook` (common.NewHookType + controller/hook.go). */
export const hookTypeSchema = z.enum(['PreSync', 'Sync', 'PostSync', 'SyncFail', 'Skip', 'PreDelete', 'PostDelete']);
export type HookType = z.infer<typeof hookTypeSchema>;

/** The phases of a sync operation, in the order gitops-engine runs them (`syncPhaseOrder`). */
const syncPhaseSchema = z.enum(['PreSync', 'Sync', 'PostSync', 'SyncFail']);
export type SyncPhase = z.infer<typeof syncPhaseSchema>;

/** Values Argo CD accepts in `argocd.argoproj.io/hook-delete-policy` (common.NewHookDeletePolicy). */
export const deletePolicySchema = z.enum(['HookSucceeded', 'HookFailed', 'BeforeHookCreation']);
export type DeletePolicy = z.infer<typeof deletePolicySchema>;

const phaseOrder: Record<SyncPhase, number> = { PreSync: -1, Sync: 0, PostSync: 1, SyncFail: 2 };

const helmHookMap = HELM_HOOK_TYPES as Readonly<Record<string, HookType>>;
/** Helm hooks that exist in Helm but that Argo CD never runs: legitimate values, not typos. */
const helmHooksUnsupported = new Set(['pre-rollback', 'post-rollback', 'test', 'test-success', 'test-failure', 'crd-install']);

const helmDeletePolicyMap: Readonly<Record<string, DeletePolicy>> = HELM_DELETE_POLICIES;

/** An annotation value Argo CD silently ignores. */
export interface IgnoredValue {
  annotation: string;
  value: string;
}

/** Argo CD's view of one object's hook annotations. */
export interface HookInfo {
  /** Argo CD runs it as a hook instead of applying it as a plain resource. */
  isHook: boolean;
  /** Effective hook types (Argo CD's own annotation wins; Helm's are used only when it names none). */
  types: HookType[];
  /** Where `types` came from. */
  source: 'argocd' | 'helm' | null;
  /** Sync phases the object is applied in; empty = never applied during a sync. */
  phases: SyncPhase[];
  /** `argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, else 0 (syncwaves.Wave). */
  wave: number;
  /** Effective delete policies; BeforeHookCreation when none is set (hook.DeletePolicies). */
  deletePolicies: DeletePolicy[];
  deletePolicyExplicit: boolean;
  unknownHookValues: IgnoredValue[];
  unknownDeletePolicies: IgnoredValue[];
  /** Wave annotations that are not integers (Go strconv.Atoi) and therefore count as 0. */
  invalidWaves: IgnoredValue[];
}

const csv = annotationCsv;

/** strconv.Atoi: optional sign and decimal digits, nothing else (no spaces, no "1.0"). */
function parseWave(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Compute how Argo CD treats an object's hook, phase, wave and delete-policy annotations. */
export function hookInfoOf(object: JsonRecord): HookInfo {
  const a = annotationsOf(object);
  const unknownHookValues: IgnoredValue[] = [];
  const unknownDeletePolicies: IgnoredValue[] = [];
  const invalidWaves: IgnoredValue[] = [];

  const argoTypes: HookType[] = [];
  for (const v of csv(a[ANNOTATION_HOOK])) {
    const parsed = hookTypeSchema.safeParse(v);
    if (parsed.success) argoTypes.push(parsed.data);
    else unknownHookValues.push({ annotation: ANNOTATION_HOOK, value: v });
  }
  if (a[ANNOTATION_HOOK] !== undefined && argoTypes.length === 0 && unknownHookValues.length === 0) {
    unknownHookValues.push({ annotation: ANNOTATION_HOOK, value: a[ANNOTATION_HOOK] });
  }
  const helmTypes: HookType[] = [];
  for (const v of csv(a[HELM_HOOK])) {
    const mapped = helmHookMap[v];
    if (mapped !== undefined) helmTypes.push(mapped);
    else if (!helmHooksUnsupported.has(v)) unknownHookValues.push({ annotation: HELM_HOOK, value: v });
  }
  // hook.Types: Argo CD's annotation wins as soon as it names one valid type; Helm's are the fallback.
  // pre-install and pre-upgrade both map to PreSync: one type, not two.
  const types = [...new Set(argoTypes.length > 0 ? argoTypes : helmTypes)];
  const source = argoTypes.length > 0 ? 'argocd' : helmTypes.length > 0 ? 'helm' : null;

  // hook.IsHook: the mere presence of Argo CD's annotation makes a hook (unless it says only Skip);
  // Helm's makes one for any value but crd-install.
  const skipOnly = types.length === 1 && types[0] === 'Skip';
  const isHook =
    a[ANNOTATION_HOOK] !== undefined ? !skipOnly : a[HELM_HOOK] !== undefined && a[HELM_HOOK] !== 'crd-install';

  let phases: SyncPhase[];
  if (skipOnly) phases = [];
  else if (!isHook) phases = ['Sync'];
  else {
    phases = types.flatMap((t) => {
      const phase = syncPhaseSchema.safeParse(t);
      return phase.success ? [phase.data] : [];
    });
    phases.sort((x, y) => phaseOrder[x] - phaseOrder[y]);
  }

  const deletePolicies: DeletePolicy[] = [];
  for (const v of csv(a[ANNOTATION_DELETE_POLICY])) {
    const parsed = deletePolicySchema.safeParse(v);
    if (parsed.success) deletePolicies.push(parsed.data);
    else unknownDeletePolicies.push({ annotation: ANNOTATION_DELETE_POLICY, value: v });
  }
  // hook.DeletePolicies appends Helm's policies to Argo CD's (no precedence, unlike hook types).
  for (const v of csv(a[HELM_DELETE_POLICY])) {
    const mapped = helmDeletePolicyMap[v];
    if (mapped !== undefined) deletePolicies.push(mapped);
    else unknownDeletePolicies.push({ annotation: HELM_DELETE_POLICY, value: v });
  }
  const deletePolicyExplicit = deletePolicies.length > 0;
  const effectivePolicies = deletePolicyExplicit ? [...new Set(deletePolicies)] : (['BeforeHookCreation'] as DeletePolicy[]);

  let wave = 0;
  const argoWave = parseWave(a[ANNOTATION_SYNC_WAVE]);
  const helmWeight = parseWave(a[HELM_WEIGHT]);
  if (a[ANNOTATION_SYNC_WAVE] !== undefined && argoWave === undefined) {
    invalidWaves.push({ annotation: ANNOTATION_SYNC_WAVE, value: a[ANNOTATION_SYNC_WAVE] });
  }
  if (argoWave !== undefined) wave = argoWave;
  else if (a[HELM_WEIGHT] !== undefined) {
    if (helmWeight === undefined) invalidWaves.push({ annotation: HELM_WEIGHT, value: a[HELM_WEIGHT] });
    else wave = helmWeight;
  }

  return {
    isHook,
    types,
    source,
    phases,
    wave,
    deletePolicies: effectivePolicies,
    deletePolicyExplicit,
    unknownHookValues,
    unknownDeletePolicies,
    invalidWaves,
  };
}

/** Position of a phase in a sync (PreSync first). */
export function phaseRank(phase: SyncPhase): number {
  return phaseOrder[phase];
}

/** Human wording for where an object sits in a sync: "a PreSync hook in wave -1", "a plain resource in the Sync phase, wave 0". */
export function describePlacement(info: HookInfo): string {
  const first = info.phases[0];
  if (first === undefined) return 'never applied during a sync';
  if (!info.isHook) return `a plain resource in the Sync phase, wave ${info.wave}`;
  return `a ${first} hook in wave ${info.wave}`;
}
