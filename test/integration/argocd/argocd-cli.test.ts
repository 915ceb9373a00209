import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT } from '../../support/contract-bodies.js';
import { runCli } from '../../support/cli-process.js';
import type { CommandRun } from '../../support/process-groups.js';

const NAIVE = join(REPO_ROOT, 'test', 'contract', 'fixtures', 'naive-notifications-cm.yaml');

/** Run the CLI as a user would (node + tsx on src/cli.ts) and collect its exit code and output. */
function cli(args: string[]): Promise<CommandRun> {
  return runCli(t, args);
}

function configMapOf(yamlText: string): { data: Record<string, string> } {
  const docs = parseAllDocuments(yamlText);
  if (!Array.isArray(docs)) throw new Error('no YAML documents');
  const cm = docs.map((d) => d.toJS() as { kind: string; data: Record<string, string> }).find((d) => d.kind === 'ConfigMap');
  if (cm === undefined) throw new Error('no ConfigMap document');
  return cm;
}

const dir = mkdtempSync(join(tmpdir(), 'argocd-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('generate argocd prints the patch (exit 0), and validate argocd passes it (exit 0)', async (t) => {
  const gen = await cli(['generate', 'argocd', '--url', 'http://hook-alerts.argocd.svc:8080', '--hook-types', 'PreSync,PostSync', '--recipient', 'team-db', '--subscribe', 'all']);
  t.equal(gen.code, 0, gen.stderr);
  const cm = configMapOf(gen.stdout);
  t.ok(cm.data['trigger.on-hook-failed']?.includes("#.hookType == 'PostSync'"));
  t.same((parse(cm.data.subscriptions ?? '') as { recipients: string[] }[])[0]?.recipients, ['hook-alerts:team-db']);
  const file = join(dir, 'generated.yaml');
  writeFileSync(file, gen.stdout);
  const val = await cli(['validate', 'argocd', '--cm', file]);
  t.equal(val.code, 0, val.stderr);
  t.match(val.stdout, /no problems found/);
});

t.test('validate argocd flags the naive ConfigMap (exit 1), each finding on stderr', async (t) => {
  const res = await cli(['validate', 'argocd', '--cm', NAIVE]);
  t.equal(res.code, 1);
  for (const rule of ['interpolated-string', 'once-per', 'nil-unsafe-in', 'nil-guard-missing']) t.match(res.stderr, `[${rule}]`);
  t.match(res.stderr, /trigger\.on-hook-failed: has oncePer/);
  t.match(res.stderr, /^warning: trigger\.on-hook-failed: `#\.hookType in \[\.\.\.\]` .*Argo CD 2\.7 and older/m, 'in on a nil field is a warning line');
});

t.test('validate argocd: warnings only (`?.`, `in` on a nil field) exit 0 and name the versions they break', async (t) => {
  const gen = await cli(['generate', 'argocd', '--url', 'http://x:8080']);
  const cm = configMapOf(gen.stdout);
  const guarded = "app.status.operationState != nil && app.status.operationState.syncResult != nil && app.status.operationState.syncResult.resources != nil";
  cm.data['trigger.on-hook-failed'] = stringify([
    { when: `${guarded} && app.status.operationState?.phase == 'Failed' && any(app.status.operationState.syncResult.resources, {#.hookType in ['PreSync']})`, send: ['hook-alerts-hook-failed'] },
  ]);
  const file = join(dir, 'warnings.yaml');
  writeFileSync(file, stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-notifications-cm' }, data: cm.data }));
  const res = await cli(['validate', 'argocd', '--cm', file]);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, /no problems found .*2 warning\(s\) for old Argo CD versions/);
  t.match(res.stderr, /warning: .*\[optional-chaining\]/);
  t.match(res.stderr, /Argo CD 2\.5 and older/);
  t.match(res.stderr, /warning: .*\[nil-unsafe-in\]/);
});

t.test('validate argocd --secret: the placeholder of the generated patch is a finding', async (t) => {
  const gen = await cli(['generate', 'argocd', '--url', 'http://x:8080']);
  const file = join(dir, 'with-secret.yaml');
  writeFileSync(file, gen.stdout);
  const res = await cli(['validate', 'argocd', '--cm', file, '--secret', file]);
  t.equal(res.code, 1);
  t.match(res.stderr, /\[secret-placeholder\]/);
  const secret = join(dir, 'secret.yaml');
  writeFileSync(secret, stringify({ apiVersion: 'v1', kind: 'Secret', data: { 'hook-alerts-token': Buffer.from('real-token-0123456789').toString('base64') } }));
  t.equal((await cli(['validate', 'argocd', '--cm', file, '--secret', secret])).code, 0, 'a base64 data entry counts');
});

t.test('usage errors exit 2: missing --url, unknown hook type, bad URL, bad --subscribe, missing --cm', async (t) => {
  const cases: [string, string[]][] = [
    ['no --url', ['generate', 'argocd']],
    ['unknown hook type', ['generate', 'argocd', '--url', 'http://x', '--hook-types', 'PreSync,Later']],
    ['ftp URL', ['generate', 'argocd', '--url', 'ftp://x']],
    ['service name with a dot', ['generate', 'argocd', '--url', 'http://x', '--service-name', 'hook.alerts']],
    ['bad --subscribe', ['generate', 'argocd', '--url', 'http://x', '--subscribe', 'some']],
    ['bad --output', ['generate', 'argocd', '--url', 'http://x', '--output', 'helm']],
    ['bad --stuck-minutes', ['generate', 'argocd', '--url', 'http://x', '--stuck-minutes', '0']],
    ['validate without --cm', ['validate', 'argocd']],
    ['bare generate', ['generate']],
    ['bare validate', ['validate']],
    ['no command', []],
  ];
  const results = await Promise.all(cases.map(([, args]) => cli(args)));
  cases.forEach(([what], i) => {
    t.equal(results[i]?.code, 2, `${what}: ${results[i]?.stderr.split('\n')[0] ?? ''}`);
    t.equal(results[i]?.stdout, '', `${what}: nothing on stdout`);
  });
});

t.test('invalid input exits 1: unreadable --cm, a ConfigMap-less file, an unwritable kustomize dir', async (t) => {
  const missing = await cli(['validate', 'argocd', '--cm', join(dir, 'nope.yaml')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /HA_ERR|cannot read/);
  const notCm = join(dir, 'not-cm.yaml');
  writeFileSync(notCm, 'kind: Secret\n');
  t.equal((await cli(['validate', 'argocd', '--cm', notCm])).code, 1);
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'x');
  const out = await cli(['generate', 'argocd', '--url', 'http://x', '--output', `kustomize=${join(blocker, 'sub')}`]);
  t.equal(out.code, 1);
  t.match(out.stderr, /cannot write the kustomize component/);
  // Node's recursive mkdir spins forever under /proc (ENOENT for a child of an existing directory).
  const proc = await cli(['generate', 'argocd', '--url', 'http://x', '--output', 'kustomize=/proc/nope']);
  t.equal(proc.code, 1);
  t.match(proc.stderr, /^argocd-hook-alerts: cannot write the kustomize component to \/proc\/nope \(ENOENT: no such file or directory, mkdir '\/proc\/nope'\): pass a directory that can be created and written\n$/);
});

t.test('by default generate argocd subscribes no app and leaves subscriptions alone; it says what context.argocdUrl needs', async (t) => {
  const gen = await cli(['generate', 'argocd', '--url', 'http://x']);
  t.equal(gen.code, 0, gen.stderr);
  t.notOk(configMapOf(gen.stdout).data.subscriptions, 'no subscriptions key: the ConfigMap keeps its own');
  t.match(gen.stdout, /notifications\.argoproj\.io\/subscribe\.on-hook-failed\.hook-alerts/, 'the opt-in annotation is shown');
  t.match(gen.stdout, /# The templates read context\.argocdUrl[\s\S]*# {5}context: \|\n# {7}argocdUrl: https:\/\/argocd\.example\.com/);
  const all = await cli(['generate', 'argocd', '--url', 'http://x', '--subscribe', 'all']);
  t.same((parse(configMapOf(all.stdout).data.subscriptions ?? '') as { recipients: string[] }[])[0]?.recipients, ['hook-alerts'], '--subscribe all asks for it');
});

t.test('generate --output kustomize=DIR writes the component; --subscribe none adds the Application example', async (t) => {
  const out = join(dir, 'component');
  const res = await cli(['generate', 'argocd', '--url', 'http://x', '--output', `kustomize=${out}`, '--subscribe', 'none', '--stuck-minutes', '20']);
  t.equal(res.code, 0, res.stderr);
  for (const f of ['kustomization.yaml', 'argocd-notifications-cm.yaml', 'argocd-notifications-secret.yaml', 'application-subscription.yaml']) {
    t.ok(existsSync(join(out, f)), f);
  }
  const cm = parse(readFileSync(join(out, 'argocd-notifications-cm.yaml'), 'utf8')) as { data: Record<string, string> };
  t.ok(cm.data['trigger.on-hook-stuck']);
  t.notOk(cm.data.subscriptions);
  t.equal((await cli(['validate', 'argocd', '--cm', join(out, 'argocd-notifications-cm.yaml')])).code, 0);
});

t.test('--existing-cm keeps the user subscriptions and notes the keys it replaces', async (t) => {
  const existing = join(dir, 'existing.yaml');
  writeFileSync(
    existing,
    stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-notifications-cm' },
      data: {
        subscriptions: stringify([{ recipients: ['slack:ops'], triggers: ['on-sync-failed'] }, { recipients: ['hook-alerts:old'] }]),
        'trigger.on-hook-failed': '- when: "false"\n  send: [x]\n',
      },
    }),
  );
  const res = await cli(['generate', 'argocd', '--url', 'http://x', '--existing-cm', existing, '--recipient', 'new', '--subscribe', 'all']);
  t.equal(res.code, 0, res.stderr);
  const subs = parse(configMapOf(res.stdout).data.subscriptions ?? '') as { recipients: string[] }[];
  t.same(subs.map((s) => s.recipients), [['slack:ops'], ['hook-alerts:new']]);
  t.match(res.stderr, /replaces the existing trigger\.on-hook-failed/);
});
