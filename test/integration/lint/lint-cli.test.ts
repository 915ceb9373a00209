import { mkdtemp, rm, writeFile, mkdir, chmod } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lintReportSchema } from '../../../src/lint/lint-finding.js';
import { REPO_ROOT, runLintCli } from './run-lint-cli.js';

const F = 'test/fixtures/lint';

t.test('clean manifests: exit 0, a summary on stdout, no colour when not a TTY', async (t) => {
  const run = await runLintCli([`${F}/helm/flyway-clean.yaml`, `${F}/kustomize/alembic-clean.yaml`]);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, 'no findings in 13 objects in 2 files\n');
  t.equal(run.stderr, '');
});

t.test('errors: exit 1 with findings in text', async (t) => {
  const run = await runLintCli([`${F}/helm/flyway-broken.yaml`]);
  t.equal(run.code, 1, run.stderr);
  t.match(run.stdout, /^test\/fixtures\/lint\/helm\/flyway-broken\.yaml:86 error hook-ref-applied-late {2}Job orders-flyway-migrate \(document 3, orders\/templates\/migrate-job\.yaml\)$/m);
  t.match(run.stdout, /2 errors, 4 warnings, 0 info in 4 objects in 1 file\n$/);
  t.notOk(run.stdout.includes('\u001b['), 'stdout is a pipe: no ANSI colour');
});

t.test('a directory is read recursively as one app', async (t) => {
  const run = await runLintCli(['--format', 'json', `${F}/helm`]);
  t.equal(run.code, 1);
  const report = lintReportSchema.parse(JSON.parse(run.stdout));
  t.equal(report.summary.files, 4);
  t.same(
    [...new Set(report.findings.map((f) => f.file))].sort(),
    [`${F}/helm/flyway-broken.yaml`, `${F}/helm/golang-migrate-broken.yaml`, `${F}/helm/liquibase-broken.yaml`],
  );
});

t.test('--fail-on: warnings fail only when asked; never always passes', async (t) => {
  const golang = readFileSync(join(REPO_ROOT, F, 'helm/golang-migrate-broken.yaml'), 'utf8');
  // Only warnings left once the typo and the Pod's restartPolicy are fixed.
  const warningsOnly = golang.replace('hook: Presync', 'hook: PreSync').replace('spec:\n  containers:\n    - name: version', 'spec:\n  restartPolicy: Never\n  containers:\n    - name: version');
  const dflt = await runLintCli(['--format', 'json', '-'], { stdin: warningsOnly });
  const report = lintReportSchema.parse(JSON.parse(dflt.stdout));
  t.same(report.summary, { files: 1, objects: 4, error: 0, warning: 2, info: 0 });
  t.equal(dflt.code, 0, 'default --fail-on error');
  t.equal((await runLintCli(['--fail-on', 'warning', '-'], { stdin: warningsOnly })).code, 1);
  t.equal((await runLintCli(['--fail-on', 'never', `${F}/helm/flyway-broken.yaml`])).code, 0);
  t.equal((await runLintCli(['--fail-on', 'info', `${F}/kustomize/rails-broken.yaml`, '--format', 'json'])).code, 1);
});

t.test('stdin "-": helm template | lint -, with # Source in findings', async (t) => {
  const text = readFileSync(join(REPO_ROOT, F, 'helm/liquibase-broken.yaml'), 'utf8');
  const run = await runLintCli(['--format', 'json', '-'], { stdin: text });
  t.equal(run.code, 1, run.stderr);
  const report = lintReportSchema.parse(JSON.parse(run.stdout));
  t.same(report.findings.map((f) => f.file), Array(4).fill('<stdin>'));
  t.same(
    report.findings.map((f) => f.helmSource),
    ['inventory/templates/secret.yaml', ...Array<string>(3).fill('inventory/templates/liquibase-job.yaml')],
  );
});

t.test('--format github: workflow commands with escaped properties', async (t) => {
  const run = await runLintCli(['--format', 'github', `${F}/kustomize/rails-broken.yaml`]);
  t.equal(run.code, 1);
  const lines = run.stdout.trimEnd().split('\n');
  t.same(lines.map((l) => l.slice(0, l.indexOf(' '))), ['::error', '::notice']);
  t.match(lines[0], /^::error file=test\/fixtures\/lint\/kustomize\/rails-broken\.yaml,line=77,title=hook-ref-applied-late%3A Job helpdesk\/helpdesk-db-migrate::Job /);
  t.match(lines[0], /%0AFix: /);
});

t.test('invalid YAML: exit 1, file and line on stderr, nothing on stdout', async (t) => {
  const run = await runLintCli([`${F}/misc/invalid-yaml.yaml`, `${F}/helm/flyway-clean.yaml`]);
  t.equal(run.code, 1);
  t.equal(run.stdout, '');
  t.match(run.stderr, /test\/fixtures\/lint\/misc\/invalid-yaml\.yaml:11:1: invalid YAML in document 1/);
  t.match(run.stderr, /no rule was checked/);
});

t.test('unreadable input: exit 1 (invalid input; usage errors stay 2)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lint-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'empty'));
  const missing = await runLintCli([join(dir, 'nope.yaml')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /nope\.yaml: cannot read: no such file or directory/);
  const empty = await runLintCli([join(dir, 'empty')]);
  t.equal(empty.code, 1);
  t.match(empty.stderr, /no \*\.yaml or \*\.yml files in this directory/);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked.yaml');
    await writeFile(locked, 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n');
    await chmod(locked, 0o000);
    const denied = await runLintCli([locked]);
    t.equal(denied.code, 1);
    t.match(denied.stderr, /locked\.yaml: cannot read: permission denied/);
  }
});

t.test('input with no Kubernetes object: exit 1, and says so', async (t) => {
  const empty = await runLintCli(['-'], { stdin: '' });
  t.equal(empty.code, 1);
  t.match(empty.stderr, /no Kubernetes object \(a document with apiVersion and kind\) in <stdin>: the input was empty or held none/);
  const dir = await mkdtemp(join(tmpdir(), 'lint-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'values.yaml'), '# only values\nreplicaCount: 2\nimage:\n  tag: v1\n');
  const values = await runLintCli([join(dir, 'values.yaml')]);
  t.equal(values.code, 1);
  t.match(values.stderr, /values\.yaml: the files are empty or hold none/);
  t.notMatch(values.stderr, /Helm template/, 'no template actions, no Helm hint');
});

t.test('an unrendered Helm template: exit 1 with a hint to run helm template first', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lint-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const template = [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    '  name: {{ include "chart.fullname" . }}-migrate',
    '  annotations:',
    '    argocd.argoproj.io/hook: PreSync',
    'spec:',
    '  template:',
    '    spec:',
    '      {{- with .Values.imagePullSecrets }}',
    '      imagePullSecrets:',
    '        {{- toYaml . | nindent 8 }}',
    '      {{- end }}',
    '      containers: []',
    '',
  ].join('\n');
  await writeFile(join(dir, 'migrate-job.yaml'), template);
  const run = await runLintCli([join(dir, 'migrate-job.yaml')]);
  t.equal(run.code, 1);
  t.equal(run.stdout, '');
  t.match(run.stderr, /migrate-job\.yaml looks like an unrendered Helm template \(\{\{ \.\.\. \}\}\): render it first, e\.g\. helm template my-release \.\/chart \| argocd-hook-alerts lint -/);
  // Go templates inside string values (Argo CD's notification templates) are data, not a chart to render.
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-notifications-cm\ndata:\n  template.x: |\n    message: "{{.app.metadata.name}}"\n';
  const ok = await runLintCli(['-'], { stdin: cm });
  t.equal(ok.code, 0, ok.stderr);
});

t.test('usage errors: exit 2', async (t) => {
  const bad = await runLintCli(['--format', 'xml', `${F}/helm/flyway-clean.yaml`]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /argument 'xml' is invalid/);
  t.equal((await runLintCli([])).code, 2, 'no path');
});
