import { ANNOTATION_DELETE_POLICY, HELM_DELETE_POLICY } from '../hook-semantics.js';
import { annotationsOf, asString, getIn } from '../manifest-object.js';
import { describeObject, isRunnableHookPod, type AnalyzedObject, type LintRule, type RuleHit } from '../lint-rule.js';
import { containersOf, unpinnedImageReason } from '../pod-spec.js';

function hookJobs(objects: readonly AnalyzedObject[]): AnalyzedObject[] {
  return objects.filter((o) => isRunnableHookPod(o) && o.ref.kind === 'Job');
}

/** Whether the object is a Helm hook (`helm.sh/hook`, no Argo CD hook annotation): fixes are then written in Helm's form. */
function isHelmHook(o: AnalyzedObject): boolean {
  const a = annotationsOf(o.object);
  return o.hook.source === 'helm' || (a[ANNOTATION_DELETE_POLICY] === undefined && a[HELM_DELETE_POLICY] !== undefined);
}

/** The delete-policy annotation that keeps a hook until the next sync and cleans up successes, in the object's form. */
function keepUntilNextSync(o: AnalyzedObject): string {
  return isHelmHook(o)
    ? `${HELM_DELETE_POLICY}: before-hook-creation,hook-succeeded`
    : `${ANNOTATION_DELETE_POLICY}: BeforeHookCreation,HookSucceeded`;
}

function deletePolicyPath(o: AnalyzedObject): (string | number)[] {
  const a = annotationsOf(o.object);
  if (a[ANNOTATION_DELETE_POLICY] !== undefined) return ['metadata', 'annotations', ANNOTATION_DELETE_POLICY];
  if (a[HELM_DELETE_POLICY] !== undefined) return ['metadata', 'annotations', HELM_DELETE_POLICY];
  return ['metadata', 'name'];
}

const noDeadline: LintRule = {
  id: 'hook-job-no-deadline',
  severity: 'warning',
  title: 'A hook Job or Pod has no activeDeadlineSeconds',
  rationale:
    'A hung migration (a lock wait, an interactive prompt, an unreachable database) keeps the hook Running. Argo CD waits for hooks without a limit unless controller.sync.timeout.seconds is set (default 0, no timeout), so the sync, and every later sync of the app, stays blocked until someone terminates it.',
  fix: 'Set spec.activeDeadlineSeconds on the Job (for a bare Pod, on the pod spec) to a bound above the longest expected migration, for example 900: the Job then fails with DeadlineExceeded and the sync fails visibly.',
  check(objects) {
    return objects
      .filter(isRunnableHookPod)
      .filter((o) => typeof getIn(o.object, ['spec', 'activeDeadlineSeconds']) !== 'number')
      .map((o) => ({
        object: o,
        path: ['spec', 'activeDeadlineSeconds'],
        message: `${describeObject(o.ref)} is a hook with no spec.activeDeadlineSeconds: if it hangs, Argo CD waits for it forever (no sync timeout by default) and the app cannot be synced until someone terminates the operation.`,
        fix: 'Set spec.activeDeadlineSeconds (for example 900) above the longest expected run.',
      }));
  },
};

const defaultBackoff: LintRule = {
  id: 'hook-job-default-backoff',
  severity: 'warning',
  title: 'A hook Job relies on the default backoffLimit (6)',
  rationale:
    'Without spec.backoffLimit, Kubernetes retries a failed Job pod 6 times with exponential back-off (10 s, 20 s, 40 s…). A migration that failed half-way runs again on a half-migrated schema, and the sync waits minutes before it fails; only the last attempt\'s logs are easy to find.',
  fix: 'Set spec.backoffLimit explicitly: 0 for a migration that is not safe to re-run, 1 or 2 only when the tool resumes safely.',
  check(objects) {
    return hookJobs(objects)
      .filter((o) => typeof getIn(o.object, ['spec', 'backoffLimit']) !== 'number')
      .map((o) => ({
        object: o,
        path: ['spec', 'backoffLimit'],
        message: `${describeObject(o.ref)} has no spec.backoffLimit, so Kubernetes retries a failed migration up to 6 times before the hook fails.`,
        fix: 'Set spec.backoffLimit: 0 (or 1 if the migration tool resumes safely after a partial run).',
      }));
  },
};

const restartPolicy: LintRule = {
  id: 'hook-restart-policy',
  severity: 'error',
  title: 'A hook Job or Pod has restartPolicy Always (or none)',
  rationale:
    'A Job accepts only restartPolicy Never or OnFailure, and a pod template without one defaults to Always: the Job is rejected ("spec.template.spec.restartPolicy: Required value" / "Unsupported value: \\"Always\\"") and Argo CD\'s dry run fails the sync. A hook Pod with Always is judged like a long-running pod: Argo CD counts the hook done as soon as the pod is Ready, while the migration still runs, and a failing migration restarts instead of failing the hook.',
  fix: 'Set restartPolicy: Never in the pod template (OnFailure restarts the container in the same pod and keeps only the previous attempt\'s logs).',
  check(objects) {
    const hits: RuleHit[] = [];
    for (const o of objects.filter(isRunnableHookPod)) {
      if (o.pod === undefined) continue;
      const value = asString(o.pod.spec.restartPolicy);
      if (value === 'Never' || value === 'OnFailure') continue;
      const path = [...o.pod.path, 'restartPolicy'];
      const shown = value === undefined ? 'no restartPolicy (pods default to Always)' : `restartPolicy: ${value}`;
      hits.push({
        object: o,
        path,
        message:
          o.ref.kind === 'Job'
            ? `${describeObject(o.ref)} has ${shown}; the Job API accepts only Never or OnFailure, so the apply (and Argo CD's dry run) fails and the sync stops before the migration runs.`
            : `${describeObject(o.ref)} is a hook Pod with ${shown}: Argo CD treats it as long-running and marks the hook done as soon as the pod is Ready, while the migration is still running, and a failing migration is restarted instead of failing the hook.`,
        fix: 'Set restartPolicy: Never in the pod spec.',
      });
    }
    return hits;
  },
};

const hookFailedPolicy: LintRule = {
  id: 'hook-delete-policy-hook-failed',
  severity: 'warning',
  title: 'A hook Job or Pod is deleted when it fails (HookFailed)',
  rationale:
    'With HookFailed, Argo CD deletes the hook (a Job with its pods) in the same pass that marks the sync Failed. By the time someone reads the failure, the pod logs and events that say why the migration failed are gone.',
  fix: 'Use BeforeHookCreation (the default: the failed Job stays until the next sync recreates it), optionally with HookSucceeded. If HookFailed must stay, turn on argocd-hook-alerts log capture for the namespace so logs are saved before Argo CD deletes them.',
  check(objects) {
    return objects
      .filter((o) => isRunnableHookPod(o) && o.hook.deletePolicies.includes('HookFailed'))
      .map((o) => ({
        object: o,
        path: deletePolicyPath(o),
        message: `${describeObject(o.ref)} has delete policy HookFailed: when it fails, Argo CD deletes it and its pods at once, so the logs that explain the failure are gone before anyone (or any alert) can read them.`,
        fix: `Set ${keepUntilNextSync(o)} (the failed Job stays until the next sync recreates it); or keep ${isHelmHook(o) ? 'hook-failed' : 'HookFailed'} only with argocd-hook-alerts capture on for this namespace.`,
      }));
  },
};

const fixedNameLeftover: LintRule = {
  id: 'hook-fixed-name-leftover',
  severity: 'warning',
  title: 'A hook Job with a fixed name can be left behind and block the next sync',
  rationale:
    'Argo CD creates hooks with kubectl apply. A Job with a fixed metadata.name and a delete policy without BeforeHookCreation (for example HookSucceeded alone after a failed run, or HookFailed alone after a successful one; in Helm form hook-succeeded or hook-failed) stays in the cluster. The next sync applies the new Job over it: a Job\'s pod template is immutable, so any change (a new image tag) fails with "field is immutable" and the sync fails before the migration runs; with no change, the old Job\'s status is taken as the hook\'s result: a healthy old Job makes Argo CD skip the hook silently and the sync succeeds without running the migration (argo-cd#25475).',
  fix: 'Add BeforeHookCreation to the delete policy (it is the default when no policy is set), or use metadata.generateName so every sync creates a new Job.',
  check(objects) {
    const hits: RuleHit[] = [];
    for (const o of hookJobs(objects)) {
      const p = o.hook.deletePolicies;
      if (o.ref.name === null || p.includes('BeforeHookCreation')) continue;
      if (p.includes('HookSucceeded') && p.includes('HookFailed')) continue;
      const left = p.includes('HookSucceeded') ? 'a failed run' : 'a successful run';
      const ttl = getIn(o.object, ['spec', 'ttlSecondsAfterFinished']);
      const ttlNote = typeof ttl === 'number' ? ` (ttlSecondsAfterFinished: ${ttl} removes it only after ${ttl} s; a sync within that window still hits this)` : '';
      hits.push({
        object: o,
        path: deletePolicyPath(o),
        message: `${describeObject(o.ref)} has the fixed name ${o.ref.name} and delete policy ${p.join(',')}, so ${left} stays in the cluster${ttlNote}. The next sync applies the Job over it: any change to the pod template (a new image tag) fails with "field is immutable" and the sync fails before the migration runs; with no change, Argo CD takes the old Job's result: after a successful run it skips the hook silently and the sync succeeds without running the migration (argo-cd#25475).`,
        fix: `Set ${keepUntilNextSync(o)}, or replace metadata.name with metadata.generateName.`,
      });
    }
    return hits;
  },
};

const unpinnedImage: LintRule = {
  id: 'hook-image-unpinned',
  severity: 'warning',
  title: 'A hook Job or Pod uses an image with :latest or no tag',
  rationale:
    'A migration image without a version tag or digest makes the migration that ran unknowable: the node may run a cached older image or pull a newer one, and a failed sync cannot be tied to a migration version.',
  fix: 'Pin the image to a version tag that changes with every release (the app\'s own tag) or to a digest (image@sha256:…).',
  check(objects) {
    const hits: RuleHit[] = [];
    for (const o of objects.filter(isRunnableHookPod)) {
      if (o.pod === undefined) continue;
      for (const c of containersOf(o.pod)) {
        const image = asString(c.container.image);
        const reason = image === undefined ? undefined : unpinnedImageReason(image);
        if (image === undefined || reason === undefined) continue;
        hits.push({
          object: o,
          path: [...c.path, 'image'],
          message: `Container ${c.name} of ${describeObject(o.ref)} runs image ${image}, which ${reason}: which migration ran cannot be known afterwards.`,
          fix: `Pin ${image} to a release tag or a digest (${image.endsWith(':latest') ? image.slice(0, -':latest'.length) : image}@sha256:…).`,
        });
      }
    }
    return hits;
  },
};

/** Rules about how hook Jobs and Pods are specified. */
export const hookWorkloadRules: readonly LintRule[] = [
  noDeadline,
  defaultBackoff,
  restartPolicy,
  hookFailedPolicy,
  fixedNameLeftover,
  unpinnedImage,
];
