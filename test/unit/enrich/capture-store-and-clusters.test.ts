import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { captureSnapshot as snapshot } from '../../support/capture-snapshots.js';
import { ClusterRegistry } from '../../../src/enrich/cluster-registry.js';
import { kubernetesConfigSchema, scrubConfigSchema } from '../../../src/enrich/enrich-config.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { HookAlertsError } from '../../../src/errors.js';

t.test('capture store: one row per pod uid, newest first, TTL, size cap, sweep', async (t) => {
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const captures = store.captureStore({ ttlMs: 1_000, maxTotalBytes: 5_000 });
  captures.save('in-cluster', 'db-migrate', snapshot('a', 'uid-a', 'first'), 100);
  captures.save('in-cluster', 'db-migrate', snapshot('a', 'uid-a', 'replaced'), 200);
  captures.save('in-cluster', 'db-migrate', snapshot('b', 'uid-b'), 300);
  captures.save('other-cluster', 'db-migrate', snapshot('c', 'uid-c'), 300);
  const list = captures.forJob('in-cluster', 'payments', 'db-migrate', 300);
  t.same(list.map((c) => c.pod.name), ['b', 'a'], 'newest first, this cluster only');
  t.equal(list[1]?.pod.containers[0]?.log?.text, 'replaced', 'a later capture of the same pod replaces it');
  t.equal(list[0]?.capturedAt, new Date(300).toISOString());
  t.ok(captures.has('in-cluster', 'uid-a', 300));
  t.same(captures.forJob('in-cluster', 'payments', 'db-migrate', 1_250).map((c) => c.pod.name), ['b'], 'expired rows are not returned');
  t.ok(store.sweep(1_250, 86_400_000) >= 1, 'the retention sweep deletes expired captures');
  t.equal(captures.stats().count, 2);

  const big = 'y'.repeat(2_000);
  captures.save('in-cluster', 'db-migrate', snapshot('d', 'uid-d', big), 400);
  captures.save('in-cluster', 'db-migrate', snapshot('e', 'uid-e', big), 500);
  t.ok(captures.stats().bytes <= 5_000, `size cap kept: ${captures.stats().bytes} bytes`);
  const left = captures.forJob('in-cluster', 'payments', 'db-migrate', 500).map((c) => c.pod.name);
  t.equal(left[0], 'e', 'the newest snapshot is kept');
  t.notOk(left.includes('b'), `the oldest were dropped first (left: ${left.join(', ')})`);
});

function kubeconfig(dir: string, name: string, contexts: string[]): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      ...contexts.flatMap((c) => [`- name: ${c}`, '  cluster:', `    server: https://${c}.example.com:6443`]),
      'users:',
      '- name: u',
      '  user:',
      '    token: t',
      'contexts:',
      ...contexts.flatMap((c) => [`- name: ${c}`, '  context:', `    cluster: ${c}`, '    user: u']),
      `current-context: ${contexts[0] ?? ''}`,
      '',
    ].join('\n'),
  );
  return file;
}

t.test('cluster resolution', async (t) => {
  const dir = t.testdir();
  const local = kubeconfig(dir, 'local.yaml', ['kind-dev']);
  const prod = kubeconfig(dir, 'prod.yaml', ['prod-eu', 'prod-us']);
  const parse = (k: object) => kubernetesConfigSchema.parse(k);

  t.test('auto without any kubeconfig: off, with one warning', async (t) => {
    const { registry, warning } = ClusterRegistry.fromConfig(parse({}), { HOME: dir });
    t.equal(registry, null);
    t.match(warning, /Kubernetes enrichment is off: no in-cluster config and no kubeconfig/);
  });

  t.test('false: off, silently', async (t) => {
    t.same(ClusterRegistry.fromConfig(parse({ enabled: 'false' }), { KUBECONFIG: local }), { registry: null, warning: null });
  });

  t.test('true without any kubeconfig: a config error', async (t) => {
    t.throws(() => ClusterRegistry.fromConfig(parse({ enabled: 'true' }), { HOME: dir }), /kubernetes.enabled: true, but there is no in-cluster config/);
  });

  t.test('in-cluster destinations use KUBECONFIG outside a pod; others map by server or name', async (t) => {
    const { registry } = ClusterRegistry.fromConfig(
      parse({ clusters: [{ server: 'https://prod-us.example.com:6443/', kubeconfig: prod, context: 'prod-us' }, { name: 'eu', kubeconfig: prod, context: 'prod-eu' }] }),
      { KUBECONFIG: local, HOME: dir },
    );
    if (registry === null) throw new Error('no registry');
    const a = registry.resolve({ server: 'https://kubernetes.default.svc', name: null });
    t.match(a, { ok: true, client: { clusterId: 'in-cluster', server: 'https://kind-dev.example.com:6443' } });
    t.match(registry.resolve({ server: null, name: 'in-cluster' }), { ok: true, client: { clusterId: 'in-cluster' } });
    t.match(registry.resolve({ server: 'https://prod-us.example.com:6443', name: null }), { ok: true, client: { server: 'https://prod-us.example.com:6443' } });
    t.match(registry.resolve({ server: null, name: 'eu' }), { ok: true, client: { clusterId: 'eu', server: 'https://prod-eu.example.com:6443' } });
    t.match(registry.resolve({ server: 'https://unknown:6443', name: null }), { ok: false, missing: /cluster https:\/\/unknown:6443 is not configured: add it under kubernetes.clusters/ });
    t.equal(registry.clients().length, 3);
  });

  t.test('a configured cluster that cannot be loaded stops start-up with the reason', async (t) => {
    const bad = (c: object): unknown => {
      try {
        ClusterRegistry.fromConfig(parse({ clusters: [c] }), { HOME: dir });
        return null;
      } catch (err) {
        return err;
      }
    };
    const missing = bad({ server: 'https://x', kubeconfig: join(dir, 'nope.yaml') });
    t.ok(missing instanceof HookAlertsError);
    t.match((missing as Error).message, /kubernetes.clusters.0: cannot load the kubeconfig for https:\/\/x: .*ENOENT/);
    t.match((bad({ server: 'https://x', kubeconfig: prod, context: 'staging' }) as Error).message, /context "staging" is not in .* \(it has: prod-eu, prod-us\)/);
  });

  t.test('a cluster entry needs server or name', async (t) => {
    t.notOk(kubernetesConfigSchema.safeParse({ clusters: [{ kubeconfig: prod }] }).success);
  });
});

t.test('scrub.patterns are checked when the config is loaded', async (t) => {
  const result = scrubConfigSchema.safeParse({ patterns: ['ok-[0-9]+', '(a+)+', '['] });
  t.notOk(result.success);
  const paths = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  t.match(paths, [/^patterns.1: .*nested quantifier/, /^patterns.2: invalid regular expression/]);
});
