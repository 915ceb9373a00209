import {
  ANNOTATION_HOOK,
  HELM_DELETE_POLICY,
  HELM_HOOK,
  deletePolicySchema,
  hookTypeSchema,
  type IgnoredValue,
} from '../hook-semantics.js';
import { describeObject, type LintRule, type RuleHit } from '../lint-rule.js';

const helmHookValues = ['pre-install', 'pre-upgrade', 'post-install', 'post-upgrade', 'pre-delete', 'post-delete'];
const helmDeletePolicyValues = ['before-hook-creation', 'hook-succeeded', 'hook-failed'];

/** Edit distance, to turn "Presync" or "HookSucceed" into a "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The closest valid value, when the typo is close enough to guess. */
export function closestValue(value: string, valid: readonly string[]): string | undefined {
  const lower = value.toLowerCase();
  const exactCase = valid.find((v) => v.toLowerCase() === lower);
  if (exactCase !== undefined) return exactCase;
  let best: { v: string; d: number } | undefined;
  for (const v of valid) {
    const d = distance(lower, v.toLowerCase());
    if (best === undefined || d < best.d) best = { v, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(value.length / 4)) ? best.v : undefined;
}

function suggestion(ignored: IgnoredValue, valid: readonly string[]): string {
  const guess = closestValue(ignored.value, valid);
  return `${guess !== undefined ? `Did you mean ${guess}? ` : ''}Valid values (case-sensitive, comma-separated): ${valid.join(', ')}.`;
}

const unknownHookType: LintRule = {
  id: 'unknown-hook-type',
  severity: 'error',
  title: 'Unknown value in argocd.argoproj.io/hook or helm.sh/hook',
  rationale:
    'Argo CD ignores hook types it does not know, silently. An object whose hook annotation names no valid type is still treated as a hook, but in no phase: it is never applied, so the migration never runs and nothing says so. Helm hook values other than pre/post-install, pre/post-upgrade and pre/post-delete are not run by Argo CD either.',
  fix: 'Use the exact, case-sensitive values: PreSync, Sync, PostSync, SyncFail, PreDelete, PostDelete, Skip for argocd.argoproj.io/hook; pre-install, pre-upgrade, post-install, post-upgrade, pre-delete, post-delete for helm.sh/hook.',
  check(objects) {
    const hits: RuleHit[] = [];
    for (const o of objects) {
      for (const ignored of o.hook.unknownHookValues) {
        const neverApplied = o.hook.isHook && o.hook.types.length === 0;
        const valid = ignored.annotation === HELM_HOOK ? helmHookValues : hookTypeSchema.options;
        const effect = neverApplied
          ? 'Argo CD treats the object as a hook but finds no type it knows, so it never applies it'
          : o.hook.types.length > 0 && ignored.annotation === ANNOTATION_HOOK
            ? `Argo CD ignores it and uses only ${o.hook.types.join(', ')}`
            : ignored.annotation === HELM_HOOK && o.hook.source === 'argocd'
              ? 'Argo CD ignores helm.sh/hook anyway because argocd.argoproj.io/hook is set'
              : 'Argo CD ignores it';
        hits.push({
          object: o,
          path: ['metadata', 'annotations', ignored.annotation],
          message: `${describeObject(o.ref)}: ${ignored.annotation} value ${JSON.stringify(ignored.value)} is not a hook type Argo CD knows; ${effect}.`,
          fix: suggestion(ignored, valid),
        });
      }
    }
    return hits;
  },
};

const unknownDeletePolicy: LintRule = {
  id: 'unknown-hook-delete-policy',
  severity: 'warning',
  title: 'Unknown value in argocd.argoproj.io/hook-delete-policy or helm.sh/hook-delete-policy',
  rationale:
    'Argo CD ignores delete policies it does not know, silently; when no valid policy is left it uses BeforeHookCreation. The hook is then kept or deleted differently from what the manifest says.',
  fix: 'Use HookSucceeded, HookFailed or BeforeHookCreation (comma-separated) for argocd.argoproj.io/hook-delete-policy; hook-succeeded, hook-failed or before-hook-creation for helm.sh/hook-delete-policy.',
  check(objects) {
    const hits: RuleHit[] = [];
    for (const o of objects) {
      for (const ignored of o.hook.unknownDeletePolicies) {
        const valid = ignored.annotation === HELM_DELETE_POLICY ? helmDeletePolicyValues : deletePolicySchema.options;
        hits.push({
          object: o,
          path: ['metadata', 'annotations', ignored.annotation],
          message: `${describeObject(o.ref)}: ${ignored.annotation} value ${JSON.stringify(ignored.value)} is not a delete policy Argo CD knows; it is ignored and the hook is handled as ${o.hook.deletePolicies.join(',')}${o.hook.deletePolicyExplicit ? '' : ' (the default)'}.`,
          fix: suggestion(ignored, valid),
        });
      }
    }
    return hits;
  },
};

const invalidWave: LintRule = {
  id: 'invalid-sync-wave',
  severity: 'warning',
  title: 'argocd.argoproj.io/sync-wave or helm.sh/hook-weight is not an integer',
  rationale:
    'Argo CD parses the wave with Go\'s strconv.Atoi; anything else (spaces, "1.5", "-1 ") is ignored and the object falls back to helm.sh/hook-weight or wave 0, which can put a Secret after the Job that needs it.',
  fix: 'Write the wave as a quoted integer, for example argocd.argoproj.io/sync-wave: "-1".',
  check(objects) {
    return objects.flatMap((o) =>
      o.hook.invalidWaves.map((bad) => ({
        object: o,
        path: ['metadata', 'annotations', bad.annotation],
        message: `${describeObject(o.ref)}: ${bad.annotation} value ${JSON.stringify(bad.value)} is not an integer; Argo CD ignores it and puts the object in wave ${o.hook.wave}.`,
        fix: `Use a quoted integer, for example ${bad.annotation}: "${Number.parseInt(bad.value.trim(), 10) || 0}".`,
      })),
    );
  },
};

/** Rules about the hook annotations themselves. */
export const hookAnnotationRules: readonly LintRule[] = [unknownHookType, unknownDeletePolicy, invalidWave];
