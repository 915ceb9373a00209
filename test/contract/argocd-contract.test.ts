/*
 * The contract between the generated Argo CD config and the service, checked with the engines Argo CD
 * runs: a Go program (test/contract/go) evaluates every trigger's `when` with expr and renders the fired
 * templates with text/template + sprig, the way the notifications controller does. Every rendered body
 * must be valid JSON, equal the contract v1 reference, and be accepted (202) by a running service.
 *
 * Needs Debian's golang-go, golang-github-antonmedv-expr-dev, golang-github-masterminds-sprig-dev and
 * golang-k8s-sigs-yaml-dev (`.ci/run` installs them). Without them the test fails in CI and skips loudly elsewhere.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseAllDocuments, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import type { HookType } from '../../src/model/hook-type.js';
import { buildApp } from '../../src/intake/build-app.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { generateOptionsSchema } from '../../src/argocd/generate-options.js';
import { generateNotificationsConfig, type NotificationsConfig } from '../../src/argocd/notifications-config.js';
import { renderPatch } from '../../src/argocd/render-manifests.js';
import { REPO_ROOT, appFixtureNames, applicationFile, loadExpectations, renderedBody } from '../support/contract-bodies.js';
import { runToExit, runsOk } from '../support/process-groups.js';
import { largeApplication } from '../support/large-application.js';
import { ARGOCD_TEMPLATE_FUNCTIONS } from '../../src/argocd/template-functions.js';
import { contractBody } from '../support/contract-bodies.js';

/** Run a command in its own process group (process-groups.ts) to its end; rejects unless it exits 0. */
async function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string }> {
  const res = await runToExit(t, command, args, opts);
  if (res.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${res.code ?? res.signal}: ${res.stderr}`);
  return res;
}

const GO_DIR = join(REPO_ROOT, 'test', 'contract', 'go');
const DEBIAN_GOPATH = '/usr/share/gocode';
const GO_LIBRARIES = ['github.com/antonmedv/expr', 'github.com/Masterminds/sprig', 'gopkg.in/yaml.v3', 'gopkg.in/yaml.v2', 'sigs.k8s.io/yaml'];
const ALL_HOOK_TYPES: HookType[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PreDelete', 'PostDelete'];
const TOKEN = 'contract-test-token-0123456789';
const ARGOCD_URL = 'https://argocd.example.com';
// A recipient as an annotation may carry it: quotes, template braces, Slack mentions, non-ASCII.
const RECIPIENT = 'team-payments "db" {{ .x }} <!channel> ünïcødé';

type Json = Record<string, unknown>;

interface HarnessRequest {
  trigger: string;
  template: string;
  service: string;
  method: string;
  url: string;
  headers: { name: string; value: string }[];
  body: string;
  message: string;
  error: string | null;
}
interface HarnessApp {
  file: string;
  triggers: Record<string, { when: string; fired: boolean; error: string | null; oncePer?: string }[]>;
  requests: HarnessRequest[];
}

function goPath(): string {
  return [process.env.GOPATH, DEBIAN_GOPATH].filter((p): p is string => p !== undefined && p !== '').join(':');
}

/** Why the Go contract cannot run here, or null when it can. */
async function missingToolchain(): Promise<string | null> {
  if (!(await runsOk(t, 'go', ['version']))) return 'the Go toolchain (`go`) is not installed';
  const roots = goPath().split(':');
  const missing = GO_LIBRARIES.filter((lib) => !roots.some((root) => existsSync(join(root, 'src', lib))));
  if (missing.length > 0) return `Go libraries missing from GOPATH ${goPath()}: ${missing.join(', ')}`;
  return null;
}

const missing = await missingToolchain();
if (missing !== null && process.env.CI === undefined) {
  process.stderr.write(
    [
      '',
      '#'.repeat(100),
      `# SKIPPED: the Argo CD contract test did not run: ${missing}.`,
      '# Install golang-go golang-github-antonmedv-expr-dev golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev (Debian/Ubuntu)',
      '# to check the generated triggers and templates with the engines Argo CD uses. In CI this is a failure.',
      '#'.repeat(100),
      '',
    ].join('\n'),
  );
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

async function buildHarness(dir: string): Promise<string> {
  const bin = join(dir, 'argocd-contract');
  await run('go', ['build', '-o', bin, '.'], {
    cwd: GO_DIR,
    env: {
      ...process.env,
      // GOPATH mode with Debian's packaged sources: no module downloads, whatever the user's settings.
      GO111MODULE: 'off',
      GOPATH: goPath(),
      GOFLAGS: '',
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'argocd-hook-alerts-go-cache'),
    },
  });
  return bin;
}

async function startService(t: { teardown(fn: () => unknown): void }, hookTypes: HookType[]): Promise<string> {
  const config = loadConfig({
    env: { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: ':memory:' },
    overrides: { hooks: { types: hookTypes } },
  });
  const store = SqliteStore.open(':memory:');
  const app = buildApp({ config, store, metrics: new Metrics({ defaultMetrics: false }), logger: createLogger('silent') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await app.close();
    store.close();
  });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Write the generated patch (plus the user's `context`, which Argo CD reads argocdUrl from) and a secret. */
function writeConfig(dir: string, name: string, patchText: string): { cm: string; secret: string } {
  const docs = parseAllDocuments(patchText);
  if (!Array.isArray(docs)) throw new Error('the generated patch holds no YAML document');
  const cmDoc = docs.map((d) => d.toJS() as Json).find((d) => d.kind === 'ConfigMap');
  if (cmDoc === undefined) throw new Error('the generated patch holds no ConfigMap');
  (cmDoc.data as Record<string, string>).context = stringify({ argocdUrl: ARGOCD_URL });
  const cm = join(dir, `${name}-cm.yaml`);
  const secret = join(dir, `${name}-secret.yaml`);
  writeFileSync(cm, stringify(cmDoc));
  writeFileSync(
    secret,
    stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-notifications-secret' }, stringData: { 'hook-alerts-token': TOKEN } }),
  );
  return { cm, secret };
}

/** The generated config for the service at `baseUrl`, written as files the harness reads. */
function generateFor(
  dir: string,
  name: string,
  baseUrl: string,
  hookTypes: HookType[],
  extra: { subscribe?: { mode: 'all' | 'none' }; stuckMinutes?: number } = {},
): { generated: NotificationsConfig; files: { cm: string; secret: string } } {
  const opts = generateOptionsSchema.parse({
    url: baseUrl,
    serviceName: 'hook-alerts',
    secretKey: 'hook-alerts-token',
    hookTypes,
    subscribe: extra.subscribe ?? { mode: 'all' },
    ...(extra.stuckMinutes === undefined ? {} : { stuckMinutes: extra.stuckMinutes }),
  });
  const generated = generateNotificationsConfig(opts);
  return { generated, files: writeConfig(dir, name, renderPatch(generated, { subscriptions: null, subscriptionsMerged: false })) };
}

async function runHarness(bin: string, files: { cm: string; secret: string }, apps: string[], now?: string): Promise<HarnessApp[]> {
  const args = ['-cm', files.cm, '-secret', files.secret, '-recipient', RECIPIENT, ...(now === undefined ? [] : ['-now', now]), ...apps];
  const { stdout } = await run(bin, args);
  return (JSON.parse(stdout) as { apps: HarnessApp[] }).apps;
}

async function post(req: HarnessRequest): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  for (const h of req.headers) headers[h.name] = h.value;
  const res = await fetch(req.url, { method: req.method, headers, body: req.body });
  return { status: res.status, body: (await res.json()) as Json };
}

/** The result table: fixture → events fired per configuration. */
const table = new Map<string, Record<string, string>>();
function record(fixture: string, column: string, events: string[]): void {
  const row = table.get(fixture) ?? {};
  row[column] = events.length === 0 ? '-' : events.join(',');
  table.set(fixture, row);
}

const skip = missing !== null && process.env.CI === undefined ? `Argo CD contract test skipped: ${missing}` : false;

t.test('Argo CD contract: generated triggers and templates on expr + text/template/sprig', { skip }, async (t) => {
  if (missing !== null) {
    t.fail(`CI must run the Argo CD contract test, but ${missing}: .ci/run installs golang-go and the Debian Go libraries`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'argocd-contract-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const bin = await buildHarness(work);

  const fixtures = new Map(appFixtureNames().map((name) => [name, applicationFile(name)]));
  const expectations = loadExpectations();
  t.same([...fixtures.keys()].filter((f) => expectations[f] === undefined), [], 'every fixture has an expectation');
  t.same(Object.keys(expectations).filter((f) => !fixtures.has(f)), [], 'every expectation has its fixture');

  const scenarios: { column: 'default' | 'allHookTypes'; hookTypes: HookType[] }[] = [
    { column: 'default', hookTypes: ['PreSync'] },
    { column: 'allHookTypes', hookTypes: ALL_HOOK_TYPES },
  ];
  for (const scenario of scenarios) {
    await t.test(`hook types ${scenario.hookTypes.join(',')}`, async (t) => {
      const baseUrl = await startService(t, scenario.hookTypes);
      const { generated, files } = generateFor(work, scenario.column, baseUrl, scenario.hookTypes);
      const results = await runHarness(bin, files, [...fixtures.values()]);
      const eventOf = new Map(generated.triggers.map((g) => [g.trigger, g.event]));

      for (const [name, file] of fixtures) {
        const result = results.find((r) => r.file === file);
        if (result === undefined) {
          t.fail(`no harness result for ${name}`);
          continue;
        }
        const expected = expectations[name]?.[scenario.column] ?? [];
        await t.test(name, async (t) => {
          for (const [trigger, conditions] of Object.entries(result.triggers)) {
            for (const c of conditions) {
              t.equal(c.error, null, `${trigger}: the condition evaluates without error (an error is a silent "not fired")`);
              t.notOk(c.oncePer, `${trigger}: no oncePer (argo-cd#20879)`);
            }
          }
          const fired = Object.entries(result.triggers)
            .filter(([, cs]) => cs.some((c) => c.fired))
            .map(([trigger]) => eventOf.get(trigger) ?? `unknown trigger ${trigger}`)
            .sort();
          record(name, scenario.column, fired);
          t.same(fired, [...expected].sort(), `fires ${expected.join(', ') || 'nothing'}`);

          const app = readJson<Json>(file);
          for (const req of result.requests) {
            t.equal(req.error, null, `${req.template} renders, message and webhook body`);
            t.equal(req.message, '', `${req.template}: no message (the webhook body is the notification)`);
            t.equal(req.method, 'POST');
            t.equal(req.url, `${baseUrl}/v1/argocd/events`);
            t.same(req.headers, [
              { name: 'Content-Type', value: 'application/json' },
              { name: 'Authorization', value: `Bearer ${TOKEN}` },
            ]);
            let body: Json;
            try {
              body = JSON.parse(req.body) as Json;
            } catch (err) {
              t.fail(`${req.template}: rendered body is not JSON: ${String(err)}\n${req.body}`);
              continue;
            }
            const event = String(body.event);
            const reference = renderedBody(app, event, RECIPIENT);
            reference.argocdUrl = ARGOCD_URL;
            t.same(body, reference, `${req.template}: the body is contract v1, every value intact`);

            const res = await post(req);
            t.equal(res.status, 202, `the service accepts the ${event} body: ${JSON.stringify(res.body)}`);
            if (event !== 'sync-succeeded') {
              t.type(res.body.incident, 'string', `${event} opens or updates an incident, not ignored: ${JSON.stringify(res.body)}`);
            }
          }
        });
      }
    });
  }

  await t.test('on-hook-stuck with --stuck-minutes 30, the clock fixed by -now', async (t) => {
    const baseUrl = await startService(t, ['PreSync']);
    const { files } = generateFor(work, 'stuck', baseUrl, ['PreSync'], { subscribe: { mode: 'none' }, stuckMinutes: 30 });
    const running = fixtures.get('presync-job-running');
    if (running === undefined) throw new Error('fixture presync-job-running is missing');
    // The fixture's operation started at 2026-11-21T09:12:05Z.
    const [late] = await runHarness(bin, files, [running], '2026-11-21T09:50:00Z');
    const [early] = await runHarness(bin, files, [running], '2026-11-21T09:20:00Z');
    if (late === undefined || early === undefined) throw new Error('the harness returned no result');
    t.equal(late.triggers['on-hook-stuck']?.[0]?.fired, true, 'fires 38 minutes after the start');
    t.equal(late.triggers['on-hook-stuck']?.[0]?.error, null);
    t.equal(early.triggers['on-hook-stuck']?.[0]?.fired, false, 'does not fire 8 minutes after the start');
    t.equal(early.triggers['on-hook-stuck']?.[0]?.error, null);
    record('presync-job-running', 'stuck30@09:50', late.requests.map((r) => String((JSON.parse(r.body) as Json).event)));
    for (const req of late.requests) {
      const res = await post(req);
      t.equal(res.status, 202);
      t.type(res.body.incident, 'string', 'the service takes hook-stuck from Argo CD too');
    }
    // Every other fixture: the stuck trigger never errors and never fires for a finished operation.
    const all = await runHarness(bin, files, [...fixtures.values()], '2026-11-21T09:50:00Z');
    for (const r of all) {
      const c = r.triggers['on-hook-stuck']?.[0];
      t.equal(c?.error, null, `${r.file}: on-hook-stuck evaluates without error`);
      if (r.file !== running) t.equal(c?.fired, false, `${r.file}: not stuck`);
    }
  });

  await t.test('a 6,000-resource Application: the rendered body fits under 1 MiB and is accepted', async (t) => {
    const baseUrl = await startService(t, ALL_HOOK_TYPES);
    const { files } = generateFor(work, 'large', baseUrl, ALL_HOOK_TYPES);
    const limit = 1024 * 1024;
    for (const event of ['hook-failed', 'sync-succeeded'] as const) {
      const app = largeApplication(6_000, event);
      const file = join(work, `large-${event}.json`);
      writeFileSync(file, JSON.stringify(app));
      const [result] = await runHarness(bin, files, [file]);
      const req = result?.requests.find((r) => (JSON.parse(r.body) as Json).event === event);
      if (req === undefined) {
        t.fail(`no ${event} request rendered for the large Application`);
        continue;
      }
      t.equal(req.error, null, `${event} renders`);
      const before = Buffer.byteLength(JSON.stringify(contractBody(app, event, RECIPIENT)));
      const after = Buffer.byteLength(req.body);
      t.comment(`${event}, 6,000 resources: body ${after} bytes with the template, ${before} bytes with all of operationState and every annotation`);
      t.ok(before > limit, 'the whole operationState and annotations would not fit in 1 MiB');
      t.ok(after < limit / 16, `the rendered body is ${after} bytes, far under 1 MiB`);
      t.same(JSON.parse(req.body), renderedBody(app, event, RECIPIENT), 'only the hook entries and no last-applied annotation');
      const res = await post(req);
      t.equal(res.status, 202, `accepted: ${JSON.stringify(res.body)}`);
      if (event === 'hook-failed') t.type(res.body.incident, 'string', 'the PostSync failure opens an incident');
    }
  });

  await t.test("as strict as Argo CD 3.5: only its template functions, values parsed as sigs.k8s.io/yaml does, messages rendered", async (t) => {
    const baseUrl = await startService(t, ['PreSync']);
    const { files: base } = generateFor(work, 'strict', baseUrl, ['PreSync']);
    const failed = fixtures.get('presync-job-failed');
    if (failed === undefined) throw new Error('fixture presync-job-failed is missing');
    const withData = (name: string, edit: (data: Record<string, string>) => void): { cm: string; secret: string } => {
      const cm = parseAllDocuments(readFileSync(base.cm, 'utf8'))[0]?.toJS() as Json;
      edit(cm.data as Record<string, string>);
      const file = join(work, `${name}-cm.yaml`);
      writeFileSync(file, stringify(cm));
      return { cm: file, secret: base.secret };
    };
    const template = 'template.hook-alerts-hook-failed';

    const { stdout } = await run(bin, ['-list-funcs']);
    const builtins = ['and', 'call', 'eq', 'ge', 'gt', 'html', 'index', 'js', 'le', 'len', 'lt', 'ne', 'not', 'or', 'print', 'printf', 'println', 'slice', 'urlquery'];
    t.same(
      [...new Set([...(JSON.parse(stdout) as string[]), ...builtins])].sort(),
      [...ARGOCD_TEMPLATE_FUNCTIONS].sort(),
      'validate argocd knows exactly the functions the engine registers (src/argocd/template-functions.ts)',
    );

    for (const helper of ['slackUserByEmail "dba@example.com"', 'slackChannel "db-oncall"', 'slackUserGroup "dba"']) {
      const files = withData('slack-helper', (data) => {
        data[template] = `message: 'owner: {{${helper}}}'\n${data[template] ?? ''}`;
      });
      const res = await runToExit(t, join(work, 'argocd-contract'), ['-cm', files.cm, '-secret', files.secret, failed]);
      const name = helper.split(' ')[0] ?? helper;
      t.not(res.code, 0, `${name} is not a function of Argo CD 3.5: the whole ConfigMap is refused`);
      t.match(res.stderr, `function "${name}" not defined`);
    }

    const hashed = withData('sha512', (data) => {
      data[template] = `message: "{{.app.metadata.name | sha512sum | trunc 8}} {{.app.metadata.name}}"\n${data[template] ?? ''}`;
    });
    const [app] = await runHarness(bin, hashed, [failed]);
    const req = app?.requests[0];
    t.equal(req?.error, null, 'a message with sprig v3.3.0 sha512sum renders');
    t.equal(req?.message, '81c33117 payments-api', 'the message is rendered with the app');

    const broken = withData('message-error', (data) => {
      data[template] = `message: "{{.app.metadata.name.first}}"\n${data[template] ?? ''}`;
    });
    const [brokenApp] = await runHarness(bin, broken, [failed]);
    t.match(brokenApp?.requests[0]?.error, /^message: /, 'an error in the message fails the notification, webhook and all');

    // sigs.k8s.io/yaml goes through encoding/json: keys match case-insensitively, as in Argo CD.
    const capitalised = withData('capitalised', (data) => {
      data['trigger.on-hook-failed'] = (data['trigger.on-hook-failed'] ?? '').replace(/^(\s*-?\s*)when:/m, '$1When:');
    });
    const [cap] = await runHarness(bin, capitalised, [failed]);
    t.equal(cap?.triggers['on-hook-failed']?.[0]?.fired, true, '`When:` is read as `when`, as Argo CD reads it');
  });

  await t.test('a naive ConfigMap fails on the real engines the way validate argocd says', async (t) => {
    const baseUrl = await startService(t, ['PreSync']);
    const naive = readFileSync(join(REPO_ROOT, 'test', 'contract', 'fixtures', 'naive-notifications-cm.yaml'), 'utf8').replaceAll(
      'http://hook-alerts.invalid',
      baseUrl,
    );
    const cm = join(work, 'naive-cm.yaml');
    writeFileSync(cm, naive);
    const secret = join(work, 'naive-secret.yaml');
    writeFileSync(secret, stringify({ apiVersion: 'v1', kind: 'Secret', stringData: { 'hook-alerts-token': TOKEN } }));
    const pick = (name: string): string => {
      const f = fixtures.get(name);
      if (f === undefined) throw new Error(`fixture ${name} is missing`);
      return f;
    };
    const results = await runHarness(bin, { cm, secret }, [
      pick('tricky-strings'),
      pick('postsync-pod-failed'),
      pick('error-no-sync-result'),
      pick('presync-job-failed'),
    ]);
    const [tricky, postsync, noSyncResult, plain] = results;
    const cond = (r: HarnessApp | undefined): { fired: boolean; error: string | null } | undefined =>
      r?.triggers['on-hook-failed']?.[0];

    t.match(cond(postsync)?.error, /cannot use <nil> as index/, '`#.hookType in [...]` errors on a non-hook resource: silently not fired');
    t.match(cond(noSyncResult)?.error, /cannot fetch resources from <nil>/, 'no nil guard: errors when syncResult is nil');
    t.equal(cond(plain)?.fired, true, 'the naive trigger does fire on a plain failure');

    const trickyReq = tricky?.requests[0];
    t.ok(trickyReq, 'the naive trigger fires on tricky-strings');
    if (trickyReq !== undefined) {
      t.throws(() => {
        JSON.parse(trickyReq.body);
      }, 'string interpolation gives invalid JSON (argo-cd#8665)');
      const res = await post(trickyReq);
      t.equal(res.status, 400, 'and the service refuses it');
      t.equal(res.body.error, 'HA_ERR_BODY_MALFORMED');
    }
  });

  {
    const columns = ['default', 'allHookTypes', 'stuck30@09:50'];
    const lines = [`${'fixture'.padEnd(44)}${columns.map((c) => c.padEnd(16)).join('')}`];
    for (const [fixture, row] of [...table].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`${fixture.padEnd(44)}${columns.map((c) => (row[c] ?? '').padEnd(16)).join('')}`);
    }
    t.comment(`events fired per fixture (Go expr + text/template/sprig):\n${lines.join('\n')}`);
  }
});
