import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { lintManifests } from '../../../src/lint/lint-manifests.js';
import { parseManifests } from '../../../src/lint/parse-manifests.js';
import { ruleIds } from './lint-helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtures = join(root, 'test/fixtures/lint');

function lintFile(path: string): ReturnType<typeof lintManifests> {
  const parsed = parseManifests(readFileSync(path, 'utf8'), relative(root, path));
  if (parsed.problems.length > 0) throw new Error(parsed.problems.join('\n'));
  return lintManifests(parsed.objects);
}

// Helm fixtures are written as `helm template` renders them; kustomize ones are `kubectl kustomize`
// (kustomize v5.5.0) output of test/fixtures/lint/kustomize-src/.
const expected: Record<string, string[]> = {
  'helm/flyway-clean.yaml': [],
  'helm/flyway-broken.yaml': [
    'hook-fixed-name-leftover',
    'hook-image-unpinned',
    'hook-job-default-backoff',
    'hook-job-no-deadline',
    'hook-ref-applied-late', // Secret orders-db: not a hook, sync-wave -1 does not help
    'hook-ref-applied-late', // ServiceAccount orders
  ],
  'helm/liquibase-broken.yaml': [
    'hook-delete-policy-hook-failed',
    'hook-fixed-name-leftover',
    'hook-ref-applied-late', // changelog ConfigMap
    'hook-resource-used-by-app', // the Secret is a hook and the StatefulSet uses it
  ],
  'helm/golang-migrate-broken.yaml': [
    'hook-job-no-deadline',
    'hook-restart-policy',
    'unknown-hook-delete-policy',
    'unknown-hook-type',
  ],
  'kustomize/alembic-clean.yaml': [],
  'kustomize/prisma-broken.yaml': ['hook-ref-applied-late', 'hook-restart-policy', 'invalid-sync-wave'],
  'kustomize/rails-broken.yaml': ['hook-ref-applied-late', 'hook-ref-missing'],
  'misc/kubectl-list.yaml': ['hook-delete-policy-hook-failed', 'hook-fixed-name-leftover', 'hook-ref-applied-late'],
  'misc/not-kubernetes.yaml': [],
};

t.test('realistic manifests give exactly the expected rule ids', async (t) => {
  for (const [file, ids] of Object.entries(expected)) {
    t.same(ruleIds(lintFile(join(fixtures, file))), ids, file);
  }
});

t.test('every fixture file is covered by an expectation', async (t) => {
  const files = ['helm', 'kustomize', 'misc'].flatMap((d) => readdirSync(join(fixtures, d)).map((f) => `${d}/${f}`));
  t.same(files.filter((f) => f !== 'misc/invalid-yaml.yaml' && !(f in expected)), []);
});

t.test('findings point at the right lines and objects', async (t) => {
  const flyway = lintFile(join(fixtures, 'helm/flyway-broken.yaml'));
  const late = flyway.filter((f) => f.ruleId === 'hook-ref-applied-late');
  t.same(late.map((f) => [f.line, f.object.name, f.helmSource]), [
    [78, 'orders-flyway-migrate', 'orders/templates/migrate-job.yaml'],
    [86, 'orders-flyway-migrate', 'orders/templates/migrate-job.yaml'],
  ]);
  t.match(late[1]?.message, /Secret orders-db is not a hook.*whatever its sync-wave \(-1\)/);
  const prisma = lintFile(join(fixtures, 'kustomize/prisma-broken.yaml'));
  const cm = prisma.find((f) => f.ruleId === 'hook-ref-applied-late');
  t.match(cm?.message, /Sync hook \(wave 0\) and needs ConfigMap storefront-env-hmgg47b49m/, 'kustomize hash-suffixed names');
  t.equal(cm?.object.namespace, 'shop');
  const rails = lintFile(join(fixtures, 'kustomize/rails-broken.yaml'));
  t.match(rails.find((f) => f.ruleId === 'hook-ref-applied-late')?.message, /SealedSecret helpdesk-rails is not a hook/);
  t.equal(rails.find((f) => f.ruleId === 'hook-ref-missing')?.severity, 'info');
});

/** Files a kustomization uses as patches are partial objects, not manifests to lint on their own. */
function kustomizePatchFiles(dir: string): Set<string> {
  const out = new Set<string>();
  const k = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((n) => join(dir, n)).find((p) => existsSync(p));
  if (k === undefined) return out;
  const doc = parse(readFileSync(k, 'utf8')) as Record<string, unknown> | null;
  const patches = [...((doc?.patches as unknown[] | undefined) ?? []), ...((doc?.patchesStrategicMerge as unknown[] | undefined) ?? [])];
  for (const p of patches) {
    const path = typeof p === 'string' ? p : typeof (p as { path?: unknown }).path === 'string' ? (p as { path: string }).path : undefined;
    if (path !== undefined) out.add(resolve(dir, path));
  }
  return out;
}

function yamlFilesUnder(dir: string): string[] {
  const patches = kustomizePatchFiles(dir);
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFilesUnder(path);
      return /\.ya?ml$/.test(name) && !patches.has(path) ? [path] : [];
    });
}

t.test("the project's own deploy/examples/ lint without errors", async (t) => {
  const examples = join(root, 'deploy/examples');
  if (!existsSync(examples)) {
    t.pass('deploy/examples/ does not exist yet; nothing to check');
    return;
  }
  const files = yamlFilesUnder(examples);
  t.ok(files.length > 0, 'deploy/examples/ holds YAML files');
  const objects = files.flatMap((f) => {
    const parsed = parseManifests(readFileSync(f, 'utf8'), relative(root, f));
    t.same(parsed.problems, [], `${relative(root, f)} is valid YAML`);
    return parsed.objects;
  });
  const errors = lintManifests(objects).filter((f) => f.severity === 'error');
  t.same(errors.map((f) => `${f.file}:${f.line} ${f.ruleId}: ${f.message}`), []);
});
