import t from 'tap';
import { readFileSync } from 'node:fs';
import { lintRules } from '../../../src/lint/lint-manifests.js';
import { closestValue } from '../../../src/lint/rules/hook-annotation-rules.js';
import { envFromSecret, hookJob, lintYaml, ruleIds, secret } from './lint-helpers.js';

const docs = (...parts: string[]): string => parts.join('\n---\n');

t.test('every rule is documented and ids are unique', async (t) => {
  const ids = lintRules.map((r) => r.id);
  t.equal(new Set(ids).size, ids.length);
  for (const r of lintRules) {
    t.match(r.id, /^[a-z][a-z-]+$/, `${r.id}: kebab-case id`);
    t.ok(r.title.length > 10 && r.rationale.length > 40 && r.fix.length > 20, `${r.id}: title, rationale and fix`);
  }
});

t.test('docs/lint-rules.md documents every rule with its severity', async (t) => {
  const docsText = readFileSync(new URL('../../../docs/lint-rules.md', import.meta.url), 'utf8');
  const documented = [...docsText.matchAll(/^### `([a-z-]+)` \((error|warning|info)\)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  t.same(documented.sort(), lintRules.map((r) => `${r.id} ${r.severity}`).sort());
});

t.test('phase before wave: a PreSync hook needs what it uses to be a PreSync hook', async (t) => {
  const job = hookJob({ podSpec: envFromSecret('db') });
  const cases: [string, Record<string, string>, string[]][] = [
    ['plain Secret in wave -1', { 'argocd.argoproj.io/sync-wave': '-1' }, ['hook-ref-applied-late']],
    ['plain Secret, no wave', {}, ['hook-ref-applied-late']],
    ['PreSync hook Secret in wave -1', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-1' }, []],
    ['PreSync hook Secret in the same wave', { 'argocd.argoproj.io/hook': 'PreSync' }, []],
    ['PreSync hook Secret in a later wave', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '1' }, ['hook-ref-applied-late']],
    ['Helm pre-install Secret with a lower weight', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '-1' }, []],
    ['PostSync hook Secret', { 'argocd.argoproj.io/hook': 'PostSync' }, ['hook-ref-applied-late']],
    ['Skip Secret (never applied)', { 'argocd.argoproj.io/hook': 'Skip' }, ['hook-ref-applied-late']],
  ];
  for (const [name, annotations, expected] of cases) {
    const findings = lintYaml(docs(secret('db', annotations), job));
    t.same(ruleIds(findings), expected, name);
  }
  const [late] = lintYaml(docs(secret('db', { 'argocd.argoproj.io/sync-wave': '-1' }), job));
  t.match(late?.message, /not a hook, so Argo CD applies it in the Sync phase, after every PreSync hook/);
  t.match(late?.fix, /argocd\.argoproj\.io\/hook: PreSync/);
  t.match(late?.fix, /phase comes before wave/);
});

t.test('a Sync hook is satisfied by a plain resource in the same or a lower wave', async (t) => {
  const job = hookJob({ annotations: { 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '1' }, podSpec: envFromSecret('db') });
  t.same(ruleIds(lintYaml(docs(secret('db', { 'argocd.argoproj.io/sync-wave': '0' }), job))), []);
  t.same(ruleIds(lintYaml(docs(secret('db', { 'argocd.argoproj.io/sync-wave': '1' }), job))), [], 'same wave: Secrets apply before Jobs');
  t.same(ruleIds(lintYaml(docs(secret('db', { 'argocd.argoproj.io/sync-wave': '2' }), job))), ['hook-ref-applied-late']);
  t.same(ruleIds(lintYaml(docs(secret('db', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '9' }), job))), [], 'an earlier phase wins over any wave');
});

t.test('a PostSync hook may use any plain resource', async (t) => {
  const job = hookJob({ annotations: { 'argocd.argoproj.io/hook': 'PostSync' }, podSpec: envFromSecret('db') });
  t.same(ruleIds(lintYaml(docs(secret('db', { 'argocd.argoproj.io/sync-wave': '5' }), job))), []);
});

t.test('generated Secrets (ExternalSecret, SealedSecret) need a strictly lower wave', async (t) => {
  const job = hookJob({ podSpec: envFromSecret('db') });
  const es = (wave: string): string => `apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: db-source
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/sync-wave: "${wave}"
spec:
  target:
    name: db
`;
  t.same(ruleIds(lintYaml(docs(es('-1'), job))), []);
  const same = lintYaml(docs(es('0'), job));
  t.same(ruleIds(same), ['hook-ref-applied-late'], 'same wave: custom kinds apply after Jobs');
  t.match(same[0]?.message, /created by ExternalSecret db-source in the same wave/);
  const sealed = `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db
spec:
  encryptedData: {k: AgB}
`;
  t.same(ruleIds(lintYaml(docs(sealed, job))), ['hook-ref-applied-late'], 'a plain SealedSecret is in the Sync phase');
});

t.test('references through every pod field are found', async (t) => {
  const podSpec = `          env:
            - name: A
              valueFrom:
                configMapKeyRef: {name: cm-env, key: a}
          volumeMounts: [{name: p, mountPath: /p}]
      serviceAccountName: migrator
      imagePullSecrets: [{name: pull}]
      volumes:
        - name: p
          projected:
            sources:
              - secret: {name: proj-secret}
              - configMap: {name: proj-cm}
        - name: v
          secret: {secretName: vol-secret}
`;
  const findings = lintYaml(hookJob({ podSpec }));
  t.same(ruleIds(findings), Array(6).fill('hook-ref-missing'));
  t.same(
    findings.map((f) => f.message.match(/needs (\w+ [\w-]+)/)?.[1]).sort(),
    ['ConfigMap cm-env', 'ConfigMap proj-cm', 'Secret proj-secret', 'Secret pull', 'Secret vol-secret', 'ServiceAccount migrator'],
  );
  t.ok(findings.every((f) => f.severity === 'info'));
});

t.test('optional references: no missing finding, a late one is a warning', async (t) => {
  const podSpec = `          envFrom:
            - secretRef: {name: db, optional: true}
`;
  t.same(lintYaml(hookJob({ podSpec })), []);
  const late = lintYaml(docs(secret('db'), hookJob({ podSpec })));
  t.same(late.map((f) => [f.ruleId, f.severity]), [['hook-ref-applied-late', 'warning']]);
});

t.test('namespaces: a Secret in another namespace does not satisfy the hook', async (t) => {
  const job = hookJob({ podSpec: envFromSecret('db') }).replace('  name: migrate\n', '  name: migrate\n  namespace: a\n');
  const other = secret('db', { 'argocd.argoproj.io/hook': 'PreSync' }).replace('  name: db\n', '  name: db\n  namespace: b\n');
  t.same(ruleIds(lintYaml(docs(other, job))), ['hook-ref-missing']);
  t.same(ruleIds(lintYaml(docs(secret('db', { 'argocd.argoproj.io/hook': 'PreSync' }), job))), [], 'no namespace: the destination namespace, matches');
});

t.test('a hook Secret used by the app is reported on the Secret', async (t) => {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: web:1
          env:
            - name: P
              valueFrom: {secretKeyRef: {name: db, key: p}}
`;
  const shared = secret('db', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' });
  const findings = lintYaml(docs(shared, deployment, hookJob({ podSpec: envFromSecret('db') })));
  t.same(ruleIds(findings), ['hook-resource-used-by-app']);
  t.equal(findings[0]?.object.kind, 'Secret');
  t.equal(findings[0]?.line, 6, 'points at the hook annotation');
  t.match(findings[0]?.message, /deletes it when a sync succeeds/);
  t.same(ruleIds(lintYaml(docs(secret('db'), deployment))), [], 'a plain Secret shared by the app is fine');
  const cronjob = `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: c:1, envFrom: [{secretRef: {name: db}}]}]
`;
  t.same(ruleIds(lintYaml(docs(secret('db', { 'helm.sh/hook': 'pre-upgrade' }), cronjob))), ['hook-resource-used-by-app'], 'CronJob templates count');
});

t.test('hook Job spec rules', async (t) => {
  const bare = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: flyway/flyway
        - name: sidecar
          image: registry.local:5000/proxy
      initContainers:
        - name: wait
          image: busybox:latest
        - name: pinned
          image: busybox@sha256:abc
`;
  const findings = lintYaml(bare);
  t.same(ruleIds(findings), [
    'hook-image-unpinned',
    'hook-image-unpinned',
    'hook-image-unpinned',
    'hook-job-default-backoff',
    'hook-job-no-deadline',
    'hook-restart-policy',
  ]);
  t.same(
    findings.filter((f) => f.ruleId === 'hook-job-no-deadline').map((f) => f.line),
    [7],
    'a missing field points at its parent (spec:)',
  );
  t.same(ruleIds(lintYaml(hookJob())), [], 'the helper Job is clean');
  t.same(ruleIds(lintYaml(hookJob().replace('restartPolicy: Never', 'restartPolicy: Always'))), ['hook-restart-policy']);
  t.same(ruleIds(lintYaml(hookJob().replace('restartPolicy: Never', 'restartPolicy: OnFailure'))), []);
  const plainJob = bare.replace('  annotations:\n    argocd.argoproj.io/hook: PreSync\n', '');
  t.same(ruleIds(lintYaml(plainJob)), [], 'non-hook Jobs are not this linter\'s business');
});

t.test('hook Pods: restartPolicy and deadline', async (t) => {
  t.same(ruleIds(lintYaml(hookJob({ kind: 'Pod' }))), []);
  const always = lintYaml(hookJob({ kind: 'Pod' }).replace('  restartPolicy: Never\n', ''));
  t.same(ruleIds(always), ['hook-restart-policy']);
  t.match(always[0]?.message, /as soon as the pod is Ready/);
  t.same(ruleIds(lintYaml(hookJob({ kind: 'Pod' }).replace('  activeDeadlineSeconds: 600\n', ''))), ['hook-job-no-deadline']);
});

t.test('delete policies: HookFailed and fixed names left behind', async (t) => {
  const job = (policy: string | null, generate = false): string => {
    const annotations: Record<string, string> = { 'argocd.argoproj.io/hook': 'PreSync' };
    if (policy !== null) annotations['argocd.argoproj.io/hook-delete-policy'] = policy;
    const y = hookJob({ annotations });
    return generate ? y.replace('  name: migrate', '  generateName: migrate-') : y;
  };
  t.same(ruleIds(lintYaml(job(null))), [], 'default BeforeHookCreation');
  t.same(ruleIds(lintYaml(job('HookSucceeded'))), ['hook-fixed-name-leftover']);
  t.same(ruleIds(lintYaml(job('HookFailed'))), ['hook-delete-policy-hook-failed', 'hook-fixed-name-leftover']);
  t.same(ruleIds(lintYaml(job('HookSucceeded,HookFailed'))), ['hook-delete-policy-hook-failed'], 'deleted either way: nothing left behind');
  t.same(ruleIds(lintYaml(job('BeforeHookCreation,HookSucceeded'))), []);
  t.same(ruleIds(lintYaml(job('HookSucceeded', true))), [], 'generateName: a new Job every sync');
  const [leftover] = lintYaml(job('HookSucceeded'));
  t.match(leftover?.message, /field is immutable/);
  t.match(leftover?.message, /a failed run stays/);
  t.equal(leftover?.line, 7, 'points at the delete-policy annotation');
  const helm = hookJob({ annotations: { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-delete-policy': 'hook-succeeded' } });
  t.same(ruleIds(lintYaml(helm)), ['hook-fixed-name-leftover'], 'Helm policies count the same');
  const [helmLeftover] = lintYaml(helm);
  t.match(helmLeftover?.fix, 'Set helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded', 'the fix in the form the chart uses');
  t.match(leftover?.fix, 'Set argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded');
  const succeededBefore = lintYaml(job('HookFailed'));
  t.match(succeededBefore.find((f) => f.ruleId === 'hook-fixed-name-leftover')?.message, /skips the hook silently .*argo-cd#25475/, 'a healthy old Job: the migration is skipped');
  const helmFailed = lintYaml(hookJob({ annotations: { 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-delete-policy': 'hook-failed' } }));
  t.same(ruleIds(helmFailed), ['hook-delete-policy-hook-failed', 'hook-fixed-name-leftover'], 'pre-install,pre-upgrade is PreSync; hook-failed is HookFailed');
  t.match(helmFailed[0]?.fix, /helm\.sh\/hook-delete-policy: before-hook-creation,hook-succeeded .*keep hook-failed only/);
  const ttl = lintYaml(job('HookSucceeded').replace('  backoffLimit: 0', '  backoffLimit: 0\n  ttlSecondsAfterFinished: 300'));
  t.match(ttl[0]?.message, /ttlSecondsAfterFinished: 300/);
});

t.test('unknown annotation values and invalid waves', async (t) => {
  const typo = lintYaml(hookJob({ annotations: { 'argocd.argoproj.io/hook': 'Presync' } }));
  t.same(ruleIds(typo), ['unknown-hook-type'], 'a hook in no phase: no Job rules either, it never runs');
  t.match(typo[0]?.message, /never applies it/);
  t.match(typo[0]?.fix, /Did you mean PreSync\?/);
  const partly = lintYaml(hookJob({ annotations: { 'argocd.argoproj.io/hook': 'PreSync,PostSyc' } }));
  t.match(partly[0]?.message, /uses only PreSync/);
  t.match(partly[0]?.fix, /Did you mean PostSync\?/);
  const helm = lintYaml(hookJob({ annotations: { 'helm.sh/hook': 'pre-instal,pre-upgrade' } }));
  t.same(ruleIds(helm), ['unknown-hook-type']);
  t.match(helm[0]?.fix, /Did you mean pre-install\?/);
  const policy = lintYaml(hookJob({ annotations: { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreaton' } }));
  t.same(ruleIds(policy), ['unknown-hook-delete-policy']);
  t.match(policy[0]?.message, /BeforeHookCreation \(the default\)/);
  const wave = lintYaml(secret('s', { 'argocd.argoproj.io/sync-wave': 'one' }));
  t.same(ruleIds(wave), ['invalid-sync-wave']);
  t.same(ruleIds(lintYaml(secret('s', { 'argocd.argoproj.io/hook': 'PostDelete' }))), [], 'PostDelete is valid');
});

t.test('closest value suggestions', async (t) => {
  t.equal(closestValue('presync', ['PreSync', 'Sync']), 'PreSync');
  t.equal(closestValue('HookSucceed', ['HookSucceeded', 'HookFailed', 'BeforeHookCreation']), 'HookSucceeded');
  t.equal(closestValue('banana', ['PreSync', 'Sync', 'PostSync']), undefined);
});
