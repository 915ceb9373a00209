import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { ArgoCdClusterSecrets } from '../../../src/enrich/argocd-cluster-secrets.js';
import { ClusterRegistry } from '../../../src/enrich/cluster-registry.js';
import { kubernetesConfigSchema } from '../../../src/enrich/enrich-config.js';
import { KubeEnricher } from '../../../src/enrich/kube-enricher.js';
import { createScrubber } from '../../../src/scrub/scrub.js';
import { Metrics } from '../../../src/metrics.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { REPO_ROOT } from '../../support/contract-bodies.js';
import { KubeApiServer, type KubeObject } from '../../support/kube-api-server.js';
import { hookFailedEvent } from '../../support/kube-enrich-setup.js';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/argocd-cluster-secrets');
const PLUGIN = join(FIXTURES, 'exec-credential.sh');

/** A fixture Secret with its placeholders filled in. */
function fixtureSecret(file: string, values: Record<string, string>): KubeObject & { stringData: Record<string, string> } {
  let text = readFileSync(join(FIXTURES, file), 'utf8');
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value);
  return parse(text) as KubeObject & { stringData: Record<string, string> };
}

/** A destination cluster with a failed hook Job of payments-api: its own API server, answering only its own token. */
async function destinationCluster(t: Test, token: string): Promise<KubeApiServer> {
  const kube = await KubeApiServer.start({ token });
  t.teardown(() => kube.close());
  const job = kube.putJob(hookJob());
  kube.putPod(jobPod(job, { name: 'db-migrate-x7k2p', phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'db-migrate-x7k2p', 'migrate', `ERROR: relation "invoices" already exists (${token.slice(0, 7)})\n`);
  return kube;
}

/** The cluster the service runs in (Argo CD's Secrets live there), the enricher and its registry. */
async function serviceWith(
  t: Test,
  secrets: KubeObject[],
  argocd: Record<string, unknown> = {},
  path = '',
): Promise<{ home: KubeApiServer; enricher: KubeEnricher; registry: ClusterRegistry; source: ArgoCdClusterSecrets; clock: { now: number } }> {
  const clock = { now: Date.parse('2026-11-20T14:07:12Z') };
  const home = await KubeApiServer.start({ token: 'home-token-0123456789' });
  t.teardown(() => home.close());
  for (const s of secrets) home.putSecret(s);
  const dir = t.testdir();
  const config = kubernetesConfigSchema.parse({ enabled: 'true', argocdClusterSecrets: { enabled: true, ...argocd }, bounds: { callTimeoutMs: 60_000, deadlineMs: 120_000 } });
  let source: ArgoCdClusterSecrets | null = null;
  const { registry } = ClusterRegistry.fromConfig(config, { KUBECONFIG: home.writeKubeconfig(dir), HOME: dir }, {
    argoCdClusters: (client) => {
      source = new ArgoCdClusterSecrets({ home: client, config: config.argocdClusterSecrets, callTimeoutMs: 60_000, connect: { processEnv: { PATH: path === '' ? (process.env.PATH ?? '') : path } }, now: () => clock.now });
      return source;
    },
  });
  if (registry === null || source === null) throw new Error('the registry was not built');
  const built: ArgoCdClusterSecrets = source;
  t.teardown(() => built.stop());
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const captures = store.captureStore({ ttlMs: 3_600_000, maxTotalBytes: 1024 * 1024 * 1024 });
  const enricher = new KubeEnricher({ registry, bounds: config.bounds, scrub: createScrubber(), captures, captureEnabled: false, metrics: new Metrics({ defaultMetrics: false }) });
  return { home, enricher, registry, source: built, clock };
}

const signal = (): AbortSignal => new AbortController().signal;

t.test("a destination named by Argo CD's cluster Secret (bearer token) is enriched from that cluster, with its token", async (t) => {
  const prod = await destinationCluster(t, 'prod-eu-token-0123456789');
  const secret = fixtureSecret('cluster-bearer-token.yaml', { '<SERVER_URL>': prod.url, '<TOKEN>': prod.token });
  const { home, enricher } = await serviceWith(t, [secret]);

  const byServer = await enricher.enrich(hookFailedEvent({}, { destination: { server: `${prod.url}/`, name: null, namespace: 'payments' } }), { signal: signal() });
  const hook = byServer.hooks[0];
  t.same(hook?.missing, [], 'nothing missing');
  t.match(hook?.pods[0]?.containers[0]?.log?.text, /relation "invoices" already exists \(prod-eu\)/, "the log came from the destination's API server");
  t.ok(prod.requests.length > 0 && prod.requests.every((r) => r.status !== 401), 'every call to it carried the token of the Secret');
  t.match(home.requests, [{ path: '/api/v1/namespaces/argocd/secrets', query: { labelSelector: 'argocd.argoproj.io/secret-type=cluster' }, status: 200 }], 'the Secrets were listed by label in the Argo CD namespace');
  t.notOk(home.requests.some((r) => r.path.includes('/jobs/') || r.path.includes('/pods')), 'the home cluster was not asked about the hook');

  const byName = await enricher.enrich(hookFailedEvent({}, { destination: { server: null, name: 'prod-eu', namespace: 'payments' } }), { signal: signal() });
  t.same(byName.hooks[0]?.missing, [], 'destination.name matches the Secret\'s name');
});

t.test("an exec provider in the cluster Secret runs with Argo CD's args and env, and its token reaches the cluster", async (t) => {
  const prod = await destinationCluster(t, 'prod-us-exec-token-0123456789');
  const secret = fixtureSecret('cluster-exec-provider.yaml', { '<SERVER_URL>': prod.url, '<PLUGIN>': PLUGIN, '<TOKEN>': prod.token });
  const { enricher } = await serviceWith(t, [secret]);
  const report = await enricher.enrich(hookFailedEvent({}, { destination: { server: prod.url, name: null, namespace: 'payments' } }), { signal: signal() });
  t.same(report.hooks[0]?.missing, []);
  t.match(report.hooks[0]?.pods[0]?.containers[0]?.log?.text, /\(prod-us\)/);
  t.ok(prod.requests.every((r) => r.status === 200), 'the plugin\'s token was accepted on every call');
});

t.test('a cluster Secret added, rotated or deleted is read again without a restart', async (t) => {
  const prod = await destinationCluster(t, 'prod-eu-token-0123456789');
  const { home, enricher, source, clock } = await serviceWith(t, []);
  const event = hookFailedEvent({}, { destination: { server: prod.url, name: null, namespace: 'payments' } });

  const before = await enricher.enrich(event, { signal: signal() });
  t.match(before.hooks[0]?.missing, [/is not configured: add it under kubernetes\.clusters .*it is not among Argo CD's cluster Secrets in namespace argocd \(the 0 labelled argocd\.argoproj\.io\/secret-type=cluster\)/]);

  // Added: the next event that names it reads the Secrets again (no resync period to wait for), once
  // the last read is a few seconds old.
  home.putSecret(fixtureSecret('cluster-bearer-token.yaml', { '<SERVER_URL>': prod.url, '<TOKEN>': 'an-old-token-0123456789' }));
  const tooSoon = await enricher.enrich(event, { signal: signal() });
  t.match(tooSoon.hooks[0]?.missing, [/is not configured/], 'not read again within 5 s of the last read');
  clock.now += 5_000;
  const stale = await enricher.enrich(event, { signal: signal() });
  t.match(stale.hooks[0]?.missing, [/rejected the credentials \(HTTP 401\)/], 'the Secret was found, its (old) token refused');

  // Rotated: a new resourceVersion gets a new client with the new token.
  home.putSecret(fixtureSecret('cluster-bearer-token.yaml', { '<SERVER_URL>': prod.url, '<TOKEN>': prod.token }));
  await source.refresh();
  const after = await enricher.enrich(event, { signal: signal() });
  t.same(after.hooks[0]?.missing, [], 'the rotated token is used');

  home.delete('secrets', 'argocd', 'cluster-prod-eu');
  await source.refresh();
  const gone = await enricher.enrich(event, { signal: signal() });
  t.match(gone.hooks[0]?.missing, [/is not configured/]);
});

t.test('in-cluster keeps the service account; a Secret that cannot be used says why; names read with get', async (t) => {
  const broken = fixtureSecret('cluster-bearer-token.yaml', { '<SERVER_URL>': 'https://broken.example.com:6443', '<TOKEN>': 'x-token-0123456789' });
  broken.metadata.name = 'cluster-broken';
  broken.stringData.name = 'broken';
  broken.stringData.config = JSON.stringify({ bearerToken: 'x-token-0123456789', tlsClientConfig: { insecure: true, caData: Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64') } });
  const inCluster = fixtureSecret('cluster-bearer-token.yaml', { '<SERVER_URL>': 'https://kubernetes.default.svc', '<TOKEN>': 'ignored-token-0123456789' });
  inCluster.metadata.name = 'cluster-kubernetes.default.svc';
  inCluster.stringData.name = 'home';
  const { home, registry } = await serviceWith(t, [broken, inCluster], { names: ['cluster-broken', 'cluster-kubernetes.default.svc', 'cluster-missing'] });

  const homeClient = registry.home();
  t.equal((await registry.lookup({ server: 'https://kubernetes.default.svc', name: null })).ok && registry.home(), homeClient);
  const renamed = await registry.lookup({ server: null, name: 'home' });
  t.ok(renamed.ok && renamed.client === homeClient, "a name Argo CD gives its own cluster goes to the service's in-cluster client");
  t.match(await registry.lookup({ server: null, name: 'broken' }), {
    ok: false,
    missing: /^Argo CD's cluster Secret argocd\/cluster-broken cannot be used: .*sets both insecure-skip-tls-verify and a certificate authority: remove one/,
  });
  t.notMatch(JSON.stringify(await registry.lookup({ server: null, name: 'broken' })), /x-token/, 'no credential in the message');
  t.same(
    home.requests.filter((r) => r.path.includes('/secrets')).map((r) => r.path).slice(0, 3),
    ['/api/v1/namespaces/argocd/secrets/cluster-broken', '/api/v1/namespaces/argocd/secrets/cluster-kubernetes.default.svc', '/api/v1/namespaces/argocd/secrets/cluster-missing'],
    'with names, each Secret is read by name (RBAC resourceNames can limit get)',
  );
});

t.test('a Secrets read the RBAC forbids is said in the alert, with the grant to add', async (t) => {
  const { home, registry } = await serviceWith(t, []);
  home.forbid('list', 'secrets', 'argocd');
  const r = await registry.lookup({ server: 'https://prod.example.com:6443', name: null });
  t.match(r, { ok: false, missing: /Argo CD's cluster Secrets in namespace argocd could not be read: .*forbidden.*the service account needs list on secrets in namespace argocd: deploy\/components\/argocd-cluster-secrets/ });
});

t.test("awsAuthConfig runs argocd-k8s-auth the way Argo CD does, and says what to do when it is not installed", async (t) => {
  const prod = await destinationCluster(t, 'prod-eks-token-0123456789');
  const secret = fixtureSecret('cluster-bearer-token.yaml', { '<SERVER_URL>': prod.url, '<TOKEN>': 'unused' });
  secret.stringData.config = JSON.stringify({
    awsAuthConfig: { clusterName: 'prod-eks', roleARN: 'arn:aws:iam::123456789012:role/argocd-deployer' },
    tlsClientConfig: { insecure: false },
  });
  // A stand-in for Argo CD's binary: it answers only Argo CD's arguments. Not in t.testdir(), which
  // serviceWith() empties for its kubeconfig.
  const bin = mkdtempSync(join(tmpdir(), 'argocd-k8s-auth-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(
    join(bin, 'argocd-k8s-auth'),
    [
      '#!/bin/sh',
      `[ "$*" = "aws --cluster-name prod-eks --role-arn arn:aws:iam::123456789012:role/argocd-deployer" ] || { echo "unexpected arguments: $*" >&2; exit 2; }`,
      `printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${prod.token}"}}'`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const event = hookFailedEvent({}, { destination: { server: prod.url, name: null, namespace: 'payments' } });

  const without = await serviceWith(t, [secret]);
  const missing = (await without.enricher.enrich(event, { signal: signal() })).hooks[0]?.missing;
  t.match(missing, [/exec plugin argocd-k8s-auth .* was not found \(ENOENT\): awsAuthConfig runs Argo CD's own argocd-k8s-auth .*put it on this service's PATH, or give the cluster Secret an execProviderConfig/]);

  const withBinary = await serviceWith(t, [secret], {}, `${bin}:${process.env.PATH ?? ''}`);
  const report = await withBinary.enricher.enrich(event, { signal: signal() });
  t.same(report.hooks[0]?.missing, [], 'argocd-k8s-auth aws --cluster-name … --role-arn … gave the token');
});
