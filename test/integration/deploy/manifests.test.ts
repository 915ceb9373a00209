import t from 'tap';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { hasKubectl, kustomize, validateAgainstOpenApi, type KubeObject } from '../../support/kustomize.js';
import { REPO_ROOT } from '../../support/contract-bodies.js';
import { runCli } from '../../support/cli-process.js';
import { parse, stringify } from 'yaml';
import { configSchema } from '../../../src/config/schema.js';
import { BACKSTOP_ACCESS } from '../../../src/kube/kube-client.js';

// Custom resources that kubernetes-models does not know; everything else must validate. The Prometheus
// Operator's are checked by promtool in monitoring-rules.test.ts.
const CUSTOM_KINDS = new Set(['argoproj.io/v1alpha1/Application', 'monitoring.coreos.com/v1/PrometheusRule', 'monitoring.coreos.com/v1/ServiceMonitor']);

function kustomizations(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (!statSync(path).isDirectory()) continue;
    const file = join(path, 'kustomization.yaml');
    // Components render only inside a kustomization that uses them (deploy/examples/argocd-install).
    if (existsSync(file) && !/^kind: Component$/m.test(readFileSync(file, 'utf8'))) found.push(path);
    found.push(...kustomizations(path));
  }
  return found;
}

const dirs = kustomizations(join(REPO_ROOT, 'deploy'));
const kubectl = await hasKubectl(t);

if (!kubectl) {
  if (process.env.CI !== undefined) t.fail('kubectl is required in CI to render deploy/ (it is on the machine image)');
  else t.test('deploy/ manifests', { skip: 'SKIPPED: kubectl is not installed, deploy/ manifests were NOT rendered or validated' }, () => undefined);
} else {
  t.test('every kustomization renders and each object validates against the Kubernetes OpenAPI schemas', async (t) => {
    t.ok(dirs.length >= 3, `found kustomizations: ${dirs.map((d) => relative(REPO_ROOT, d)).join(', ')}`);
    for (const dir of dirs) {
      const objects = await kustomize(t, dir);
      t.ok(objects.length > 0, `${relative(REPO_ROOT, dir)} renders objects`);
      for (const obj of objects) {
        const id = `${relative(REPO_ROOT, dir)}: ${obj.kind}/${obj.metadata.name}`;
        if (CUSTOM_KINDS.has(`${obj.apiVersion}/${obj.kind}`)) continue;
        const verdict = await validateAgainstOpenApi(obj).catch((err: unknown) => `invalid: ${String(err)}`);
        t.equal(verdict, 'valid', id);
      }
    }
  });

  t.test('the Deployment is hardened and matches what the code needs', async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/overlays/example'));
    const byKind = (kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);
    const deployment = byKind('Deployment')[0] as unknown as {
      metadata: { namespace: string };
      spec: {
        replicas: number;
        strategy: { type: string };
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            securityContext: { runAsNonRoot: boolean; seccompProfile: { type: string } };
            containers: {
              readinessProbe: { httpGet: { path: string } };
              livenessProbe: { httpGet: { path: string } };
              resources: { requests: object; limits: object };
              securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
              volumeMounts: { mountPath: string }[];
              env: { name: string; value?: string }[];
            }[];
          };
        };
      };
    };
    t.equal(deployment.metadata.namespace, 'argocd-hook-alerts');
    t.equal(deployment.spec.replicas, 1, 'one writer for the SQLite store');
    t.equal(deployment.spec.strategy.type, 'Recreate');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    if (container === undefined) throw new Error('no container');
    t.equal(pod.securityContext.runAsNonRoot, true);
    t.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    t.equal(container.securityContext.readOnlyRootFilesystem, true);
    t.equal(container.securityContext.allowPrivilegeEscalation, false);
    t.same(container.securityContext.capabilities.drop, ['ALL']);
    t.equal(container.readinessProbe.httpGet.path, '/readyz');
    t.equal(container.livenessProbe.httpGet.path, '/healthz');
    t.ok(container.resources.requests && container.resources.limits);
    const dataDir = container.env.find((e) => e.name === 'HOOK_ALERTS_DATA_DIR')?.value;
    t.ok(container.volumeMounts.some((m) => m.mountPath === dataDir), 'the data dir is a writable volume');
    const drainSeconds = configSchema.parse({}).worker.sendTimeoutMs / 1000;
    t.ok(pod.terminationGracePeriodSeconds > drainSeconds, 'grace period is longer than the drain');
    const sa = byKind('ServiceAccount')[0] as unknown as { automountServiceAccountToken: boolean };
    t.equal(sa.automountServiceAccountToken, false, 'only the pod that needs it mounts a token');
    const binding = byKind('ClusterRoleBinding')[0] as unknown as { subjects: { kind: string; namespace: string }[] };
    t.equal(binding.subjects[0]?.namespace, 'argocd-hook-alerts', 'the binding names the overlay namespace');
  });

  t.test('the NetworkPolicy admits only Argo CD notifications and egress to DNS, API, Slack and SMTP', async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/overlays/example'));
    const policy = objects.find((o) => o.kind === 'NetworkPolicy') as unknown as {
      spec: {
        ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[];
        egress: { ports: { port: number }[] }[];
      };
    };
    t.same(policy.spec.ingress[0]?.from[0]?.podSelector.matchLabels, {
      'app.kubernetes.io/name': 'argocd-notifications-controller',
    });
    const ports = policy.spec.egress.flatMap((e) => e.ports.map((p) => p.port)).sort((a, b) => a - b);
    t.same([...new Set(ports)], [25, 53, 443, 465, 587, 6443]);
  });

  t.test('the HA overlay runs 2+ replicas on PostgreSQL with no volume, spread over nodes, kept by a PDB', async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/overlays/ha'));
    t.notOk(objects.some((o) => o.kind === 'PersistentVolumeClaim'), 'no PVC: the state is in PostgreSQL');
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        strategy: { type: string; rollingUpdate?: { maxUnavailable: number } };
        template: {
          spec: {
            affinity?: { podAntiAffinity?: unknown };
            containers: { env: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }[];
            volumes: { name: string; persistentVolumeClaim?: unknown; emptyDir?: unknown }[];
          };
        };
      };
    };
    t.ok(deployment.spec.replicas >= 2, `${deployment.spec.replicas} replicas`);
    t.same(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, 'a rollout never goes below the replica count');
    t.ok(deployment.spec.template.spec.affinity?.podAntiAffinity, 'replicas prefer different nodes');
    const url = deployment.spec.template.spec.containers[0]?.env.find((e) => e.name === 'HOOK_ALERTS_DATABASE_URL');
    t.same(url?.valueFrom?.secretKeyRef, { name: 'argocd-hook-alerts-database', key: 'url' }, 'the database URL comes from a Secret');
    t.notOk(deployment.spec.template.spec.volumes.some((v) => v.persistentVolumeClaim !== undefined), 'no volume claim is mounted');
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget') as unknown as { spec: { minAvailable: number } } | undefined;
    t.equal(pdb?.spec.minAvailable, 1, 'a drain keeps one replica');
    const policy = objects.find((o) => o.kind === 'NetworkPolicy') as unknown as { spec: { egress: { ports: { port: number }[] }[] } };
    t.ok(policy.spec.egress.some((e) => e.ports.some((p) => p.port === 5432)), 'egress to PostgreSQL is allowed');
    const env = deployment.spec.template.spec.containers[0]?.env.map((e) => e.name) ?? [];
    t.ok(env.includes('POD_NAME') && env.includes('POD_NAMESPACE'), 'the pod knows its name and namespace (the Lease holder and where the Lease lives)');
    const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'argocd-hook-alerts-watchers-lease') as unknown as
      | { metadata: { namespace: string }; rules: { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[] }
      | undefined;
    t.equal(role?.metadata.namespace, 'argocd-hook-alerts', 'the Lease Role is in the service namespace');
    t.same(
      role?.rules,
      [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['argocd-hook-alerts-watchers'], verbs: ['get', 'update'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      ],
      'exactly get/update on the one Lease, and create (which cannot be limited by name)',
    );
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'argocd-hook-alerts-watchers-lease') as unknown as
      | { subjects: { kind: string; name: string; namespace?: string }[] }
      | undefined;
    t.same(binding?.subjects, [{ kind: 'ServiceAccount', name: 'argocd-hook-alerts', namespace: 'argocd-hook-alerts' }], 'bound to the service account');
  });
}

t.test('the committed Argo CD component is what `generate argocd` produces today', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'hook-alerts-component-'));
  const committed = join(REPO_ROOT, 'deploy/overlays/example/argocd-notifications');
  const res = await runCli(t, ['generate', 'argocd', '--url', 'http://argocd-hook-alerts.argocd-hook-alerts.svc', '--subscribe', 'none', '--output', `kustomize=${out}`]);
  t.equal(res.code, 0, res.stderr);
  for (const file of readdirSync(committed)) {
    t.equal(readFileSync(join(committed, file), 'utf8'), readFileSync(join(out, file), 'utf8'), `${file} is up to date (re-run the command in this test to refresh it)`);
  }
  t.same(readdirSync(out).sort(), readdirSync(committed).sort());
});

if (kubectl) {
  t.test('the Argo CD component adds its keys to argocd-notifications-cm and keeps the user\'s own', async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/examples/argocd-install'));
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-notifications-cm') as unknown as { data: Record<string, string> };
    t.ok(cm.data['trigger.on-deployed'], "the user's trigger is kept");
    t.ok(cm.data['trigger.on-hook-failed'], 'our trigger is added');
    t.ok(cm.data['service.webhook.hook-alerts'], 'our webhook service is added');
    t.notOk(objects.some((o) => o.kind === 'Secret'), 'no placeholder Secret is rendered over the real token');
  });
}

if (kubectl) {
  type PodSpecView = { securityContext: Record<string, unknown>; volumes: { name: string; configMap?: { name: string } }[] };
  const podSpec = (objects: KubeObject[]): PodSpecView =>
    (objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: PodSpecView } } }).spec.template.spec;
  const ingressFrom = (objects: KubeObject[]): { namespaceSelector: { matchLabels: Record<string, string> }; podSelector: { matchLabels: Record<string, string> } } | undefined =>
    (objects.find((o) => o.kind === 'NetworkPolicy') as unknown as { spec: { ingress: { from: { namespaceSelector: { matchLabels: Record<string, string> }; podSelector: { matchLabels: Record<string, string> } }[] }[] } }).spec.ingress[0]?.from[0];

  t.test('the OpenShift overlay fixes no UID, GID or fsGroup (restricted-v2 assigns them) and keeps the rest of the hardening', async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/overlays/openshift'));
    const pod = podSpec(objects);
    for (const key of ['runAsUser', 'runAsGroup', 'fsGroup']) t.notOk(key in pod.securityContext, `no ${key}`);
    t.same(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    t.notMatch(JSON.stringify(objects), /"runAsUser"|"fsGroup"/, 'nowhere in any object');
    t.same(ingressFrom(objects)?.namespaceSelector.matchLabels, { 'kubernetes.io/metadata.name': 'openshift-gitops' });
    t.same(ingressFrom(objects)?.podSelector.matchLabels, { 'app.kubernetes.io/name': 'openshift-gitops-notifications-controller' });
    t.notOk(objects.some((o) => o.metadata.name === 'argocd-location'), 'the local-config values are not applied');
  });

  t.test("the argocd-location component sets the NetworkPolicy's Argo CD namespace and label from one ConfigMap", async (t) => {
    const location = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-location', annotations: { 'config.kubernetes.io/local-config': 'true' } },
      data: { namespace: 'gitops', notificationsControllerName: 'prod-notifications-controller' },
    };
    const dir = t.testdir({ 'location.yaml': stringify(location) });
    // kustomize takes only relative paths to other kustomizations.
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${relative(dir, join(REPO_ROOT, 'deploy/base'))}`,
        '  - location.yaml',
        'components:',
        `  - ${relative(dir, join(REPO_ROOT, 'deploy/components/argocd-location'))}`,
        '',
      ].join('\n'),
    );
    const objects = await kustomize(t, dir);
    t.same(ingressFrom(objects)?.namespaceSelector.matchLabels, { 'kubernetes.io/metadata.name': 'gitops' });
    t.same(ingressFrom(objects)?.podSelector.matchLabels, { 'app.kubernetes.io/name': 'prod-notifications-controller' });
    t.notOk(objects.some((o) => o.metadata.name === 'argocd-location'));
  });

  t.test("the backstop overlay grants list and watch on Applications in Argo CD's namespace, exactly BACKSTOP_ACCESS, and turns it on", async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/overlays/backstop'));
    const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'argocd-hook-alerts-backstop') as unknown as
      | { metadata: { namespace: string }; rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }
      | undefined;
    t.equal(role?.metadata.namespace, 'argocd', "in Argo CD's namespace, from the argocd-location ConfigMap");
    const rules = (role?.rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}|${res}|${[...r.verbs].sort().join(',')}`)));
    t.same(rules, BACKSTOP_ACCESS.map((a) => `${a.apiGroup}|${a.resource}|${[...a.verbs].sort().join(',')}`), 'exactly what the backstop calls');
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'argocd-hook-alerts-backstop') as unknown as
      | { metadata: { namespace: string }; subjects: { kind: string; name: string; namespace: string }[] }
      | undefined;
    t.equal(binding?.metadata.namespace, 'argocd');
    t.same(binding?.subjects, [{ kind: 'ServiceAccount', name: 'argocd-hook-alerts', namespace: 'argocd-hook-alerts' }], "bound to the service's account in its own namespace");
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('argocd-hook-alerts-config-'));
    t.equal(podSpec(objects).volumes.find((v) => v.name === 'config')?.configMap?.name, cm?.metadata.name, 'the Deployment reads the replaced config');
    const config = configSchema.parse(parse((cm as unknown as { data: Record<string, string> }).data['config.yaml'] ?? ''));
    t.equal(config.kubernetes.backstop.enabled, true);
    t.same(config.kubernetes.backstop.namespaces, ['argocd']);
    t.notOk(objects.some((o) => o.metadata.name === 'argocd-location'), 'the local-config values are not applied');
  });

  t.test("the argocd-cluster-secrets kustomization grants list on Secrets in Argo CD's namespace alone, to the service's account", async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/components/argocd-cluster-secrets'));
    t.same(
      objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`),
      ['Role/argocd/argocd-hook-alerts-cluster-secrets', 'RoleBinding/argocd/argocd-hook-alerts-cluster-secrets'],
    );
    const role = objects.find((o) => o.kind === 'Role') as unknown as { rules: unknown[] };
    t.same(role.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }], 'list only: no get, watch or write');
    const binding = objects.find((o) => o.kind === 'RoleBinding') as unknown as { subjects: unknown[] };
    t.same(binding.subjects, [{ kind: 'ServiceAccount', name: 'argocd-hook-alerts', namespace: 'argocd-hook-alerts' }]);
  });

  t.test('the config is a generated ConfigMap whose hashed name the Deployment follows, so a change rolls the pods', async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/overlays/example'));
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('argocd-hook-alerts-config-'));
    t.ok(cm, 'argocd-hook-alerts-config-<hash>');
    t.equal(podSpec(objects).volumes.find((v) => v.name === 'config')?.configMap?.name, cm?.metadata.name);
    const config = (cm as unknown as { data: Record<string, string> }).data['config.yaml'] ?? '';
    t.ok(configSchema.safeParse(parse(config)).success, 'config.yaml is a valid config');
  });
}
