import t from 'tap';
import { parseManifests } from '../../../src/lint/parse-manifests.js';

t.test('multi-document helm template output: objects, indexes, # Source, lines', async (t) => {
  const text = `---
# Source: orders/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: orders-db
---
# Source: orders/templates/empty.yaml
---
# Source: orders/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: orders-migrate
spec:
  template:
    spec:
      containers:
        - name: flyway
          image: flyway/flyway:10
`;
  const { objects, problems } = parseManifests(text, 'out.yaml');
  t.same(problems, []);
  t.same(
    objects.map((o) => [o.documentIndex, o.itemIndex, o.helmSource, (o.object.metadata as { name: string }).name]),
    [
      [0, null, 'orders/templates/secret.yaml', 'orders-db'],
      [2, null, 'orders/templates/job.yaml', 'orders-migrate'],
    ],
    'the empty document is skipped but still counted in document indexes',
  );
  const job = objects[1];
  t.ok(job);
  if (job === undefined) return;
  t.equal(job.lineOf(['spec', 'template', 'spec', 'containers', 0, 'image']), 20);
  t.equal(job.lineOf(['metadata', 'name']), 14);
  t.equal(job.lineOf(['spec', 'backoffLimit']), 15, 'missing field: its parent spec:');
  t.equal(job.lineOf(['metadata', 'annotations', 'x']), 13, 'missing parent: the nearest existing one');
  t.equal(job.lineOf([]), 11);
});

t.test('non-Kubernetes documents are skipped, not errors', async (t) => {
  const { objects, problems } = parseManifests('replicaCount: 2\nimage: {tag: ""}\n---\napiVersion: v2\nname: chart\n---\n- a\n- b\n---\n42\n', 'values.yaml');
  t.same(problems, []);
  t.same(objects, []);
});

t.test('List kinds contribute their items with item indexes and lines', async (t) => {
  const text = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata: {name: a}
  - not-an-object
  - apiVersion: batch/v1
    kind: Job
    metadata:
      name: b
`;
  const { objects } = parseManifests(text, 'list.yaml');
  t.same(objects.map((o) => [o.itemIndex, o.object.kind]), [
    [0, 'Secret'],
    [2, 'Job'],
  ]);
  t.equal(objects[1]?.lineOf(['metadata', 'name']), 11, 'lines are relative to the item inside the List');
});

t.test('invalid YAML is reported with file, line and column', async (t) => {
  const { problems } = parseManifests('apiVersion: v1\nkind: Secret\n---\nmetadata:\n  name: [a\nstringData: {}\n', 'bad.yaml');
  t.equal(problems.length, 1);
  t.match(problems[0], /^bad\.yaml:\d+:\d+: invalid YAML in document 1: /);
  const dup = parseManifests('apiVersion: v1\nkind: Secret\nkind: ConfigMap\n', 'dup.yaml');
  t.match(dup.problems[0], /^dup\.yaml:3:1: invalid YAML in document 0: Map keys must be unique/);
});

t.test('alias bombs are refused, not expanded', async (t) => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  const { problems } = parseManifests(`apiVersion: v1\nkind: ConfigMap\n${bomb.join('\n')}\n`, 'bomb.yaml');
  t.equal(problems.length, 1);
  t.match(problems[0], /bomb\.yaml:\d+:1: cannot read document 0: .*alias/i);
});

t.test('merge keys are resolved like kubectl does', async (t) => {
  const text = `apiVersion: batch/v1
kind: Job
metadata:
  name: m
  annotations:
    <<: {argocd.argoproj.io/hook: PreSync}
`;
  const { objects } = parseManifests(text, 'merge.yaml');
  t.same((objects[0]?.object.metadata as { annotations: unknown }).annotations, { 'argocd.argoproj.io/hook': 'PreSync' });
});
