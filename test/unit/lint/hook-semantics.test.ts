import t from 'tap';
import { hookInfoOf } from '../../../src/lint/hook-semantics.js';

const obj = (annotations: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', annotations },
});

t.test('a plain resource is applied in the Sync phase, wave 0', async (t) => {
  const info = hookInfoOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
  t.equal(info.isHook, false);
  t.same(info.phases, ['Sync']);
  t.equal(info.wave, 0);
  t.same(info.deletePolicies, ['BeforeHookCreation'], 'default policy when none is set');
  t.equal(info.deletePolicyExplicit, false);
});

t.test('Helm hooks map onto Argo CD phases (docs/user-guide/helm.md)', async (t) => {
  const pre = hookInfoOf(obj({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-5' }));
  t.equal(pre.isHook, true);
  t.same(pre.types, ['PreSync'], 'pre-install and pre-upgrade are one PreSync type');
  t.equal(pre.source, 'helm');
  t.same(pre.phases, ['PreSync']);
  t.equal(pre.wave, -5, 'helm.sh/hook-weight is the wave');
  t.same(hookInfoOf(obj({ 'helm.sh/hook': 'post-install' })).phases, ['PostSync']);
  const del = hookInfoOf(obj({ 'helm.sh/hook': 'pre-delete' }));
  t.same(del.types, ['PreDelete']);
  t.same(del.phases, [], 'a delete hook is never applied during a sync');
  const test = hookInfoOf(obj({ 'helm.sh/hook': 'test' }));
  t.equal(test.isHook, true, 'Helm test hooks are hooks that Argo CD never runs');
  t.same(test.phases, []);
  t.same(test.unknownHookValues, [], 'test is a valid Helm hook, not a typo');
  const crd = hookInfoOf(obj({ 'helm.sh/hook': 'crd-install' }));
  t.equal(crd.isHook, false, 'crd-install is applied like a normal resource');
  t.same(crd.phases, ['Sync']);
});

t.test("Argo CD's hook annotation wins over Helm's; delete policies add up", async (t) => {
  const both = hookInfoOf(
    obj({
      'argocd.argoproj.io/hook': 'PostSync',
      'helm.sh/hook': 'pre-install',
      'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded',
      'helm.sh/hook-delete-policy': 'hook-failed',
    }),
  );
  t.same(both.types, ['PostSync']);
  t.equal(both.source, 'argocd');
  t.same(both.deletePolicies, ['HookSucceeded', 'HookFailed']);
  const typo = hookInfoOf(obj({ 'argocd.argoproj.io/hook': 'Presync', 'helm.sh/hook': 'pre-upgrade' }));
  t.same(typo.types, ['PreSync'], 'with no valid Argo CD type, Helm types are the fallback');
  t.equal(typo.source, 'helm');
  t.same(typo.unknownHookValues, [{ annotation: 'argocd.argoproj.io/hook', value: 'Presync' }]);
});

t.test('an unknown hook type makes a hook in no phase: never applied', async (t) => {
  const info = hookInfoOf(obj({ 'argocd.argoproj.io/hook': 'Presync' }));
  t.equal(info.isHook, true);
  t.same(info.types, []);
  t.same(info.phases, []);
  const empty = hookInfoOf(obj({ 'argocd.argoproj.io/hook': '' }));
  t.equal(empty.isHook, true, 'presence of the annotation alone makes a hook');
  t.same(empty.unknownHookValues, [{ annotation: 'argocd.argoproj.io/hook', value: '' }]);
});

t.test('Skip alone is not applied; Skip with a phase is a hook of that phase', async (t) => {
  const skip = hookInfoOf(obj({ 'argocd.argoproj.io/hook': 'Skip' }));
  t.equal(skip.isHook, false);
  t.same(skip.phases, []);
  const mixed = hookInfoOf(obj({ 'argocd.argoproj.io/hook': ' Skip , PreSync ' }));
  t.equal(mixed.isHook, true);
  t.same(mixed.phases, ['PreSync'], 'values are trimmed');
});

t.test('several hook types give several phases in sync order', async (t) => {
  const info = hookInfoOf(obj({ 'argocd.argoproj.io/hook': 'PostSync,PreSync,PreSync' }));
  t.same(info.phases, ['PreSync', 'PostSync']);
});

t.test('waves are parsed like Go strconv.Atoi', async (t) => {
  t.equal(hookInfoOf(obj({ 'argocd.argoproj.io/sync-wave': '-3' })).wave, -3);
  t.equal(hookInfoOf(obj({ 'argocd.argoproj.io/sync-wave': '+2' })).wave, 2);
  t.equal(hookInfoOf(obj({ 'argocd.argoproj.io/sync-wave': -1 })).wave, -1, 'an unquoted YAML number is read as its text');
  const bad = hookInfoOf(obj({ 'argocd.argoproj.io/sync-wave': '1.5', 'helm.sh/hook-weight': '4' }));
  t.equal(bad.wave, 4, 'an invalid sync-wave falls back to helm.sh/hook-weight');
  t.same(bad.invalidWaves, [{ annotation: 'argocd.argoproj.io/sync-wave', value: '1.5' }]);
  t.equal(hookInfoOf(obj({ 'argocd.argoproj.io/sync-wave': ' 1' })).wave, 0, 'spaces are not allowed');
  t.equal(hookInfoOf(obj({ 'argocd.argoproj.io/sync-wave': '2', 'helm.sh/hook-weight': '-9' })).wave, 2, 'sync-wave wins');
});

t.test('unknown delete policies are ignored and reported', async (t) => {
  const info = hookInfoOf(obj({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceed,HookFailed' }));
  t.same(info.deletePolicies, ['HookFailed']);
  t.same(info.unknownDeletePolicies, [{ annotation: 'argocd.argoproj.io/hook-delete-policy', value: 'HookSucceed' }]);
  const helm = hookInfoOf(obj({ 'helm.sh/hook': 'pre-install', 'helm.sh/hook-delete-policy': 'hook-succeded' }));
  t.same(helm.deletePolicies, ['BeforeHookCreation'], 'no valid policy left: the default');
  t.equal(helm.unknownDeletePolicies.length, 1);
});
