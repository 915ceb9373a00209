import t from 'tap';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runBuiltCli } from '../../support/cli-process.js';

// README: exit codes 0 success, 1 invalid input or config, 2 usage. Each promise, on the built CLI.

const TOKEN = 'a-webhook-token-of-32-characters';
const PASSWORD = 'pa#ss-w0rd';

function env(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dataDir, HOOK_ALERTS_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', ...extra };
}

t.test('validate config refuses what serve refuses: no token, and says how to fix it', async (t) => {
  const dir = t.testdir({});
  const [validate, serve] = await Promise.all([runBuiltCli(t, ['validate', 'config'], { env: env(dir) }), runBuiltCli(t, ['serve'], { env: env(dir) })]);
  for (const [what, res] of [['validate config', validate], ['serve', serve]] as const) {
    t.equal(res.code, 1, what);
    t.match(res.stderr, /^argocd-hook-alerts: no webhook token configured: set HOOK_ALERTS_TOKEN .*`argocd-hook-alerts serve --embedded-defaults`.*--insecure-no-auth\n$/, what);
  }
  const insecure = await runBuiltCli(t, ['validate', 'config', '--insecure-no-auth'], { env: env(dir) });
  t.equal(insecure.code, 0, insecure.stderr);
  t.match(insecure.stdout, /^config is valid; sinks on: file; store: SQLite in \S+; Application backstop: off \(kubernetes\.backstop\.enabled: false\): alerts come from Argo CD's webhook only\n$/);
  const embedded = await runBuiltCli(t, ['validate', 'config', '--embedded-defaults'], { env: env(dir) });
  t.equal(embedded.code, 0, embedded.stderr);
});

t.test('SMTP_URL with an unescaped # in the password: refused at config load, password never printed', async (t) => {
  const dir = t.testdir({});
  const smtp = { HOOK_ALERTS_TOKEN: TOKEN, SMTP_URL: `smtp://alerts:${PASSWORD}@127.0.0.1:2525`, EMAIL_FROM: 'alerts@example.com', EMAIL_TO: 'oncall@example.com' };
  const [validate, serve] = await Promise.all([
    runBuiltCli(t, ['validate', 'config'], { env: env(dir, smtp) }),
    runBuiltCli(t, ['serve'], { env: env(dir, smtp) }),
  ]);
  for (const [what, res] of [['validate config', validate], ['serve', serve]] as const) {
    t.equal(res.code, 1, what);
    t.equal(
      res.stderr,
      'argocd-hook-alerts: invalid configuration (from the environment); fix each setting below:\n' +
        '  - email.smtpUrl (from SMTP_URL): SMTP_URL is not a valid URL: percent-encode special characters of the password, e.g. # as %23, / as %2F, ? as %3F, % as %25 (encodeURIComponent does)\n',
      what,
    );
    t.notMatch(res.stdout + res.stderr, 'pa#ss', `${what}: the password is not printed`);
    t.notMatch(res.stderr, /DEP0170/, `${what}: no deprecation warning with the URL in it`);
  }
  const encoded = await runBuiltCli(t, ['validate', 'config'], { env: env(dir, { ...smtp, SMTP_URL: `smtp://alerts:${encodeURIComponent(PASSWORD)}@127.0.0.1:2525` }) });
  t.equal(encoded.code, 0, encoded.stderr);
  t.match(encoded.stdout, /^config is valid; sinks on: email; store: SQLite in \S+; Application backstop: off \(kubernetes\.backstop\.enabled: false\): alerts come from Argo CD's webhook only\n$/);
});

t.test('a configured cluster whose kubeconfig cannot be loaded: validate config fails as serve does', async (t) => {
  const dir = t.testdir({ 'config.yaml': `kubernetes:\n  clusters:\n    - server: https://prod.example.com:6443\n      kubeconfig: /no/such/prod.kubeconfig\n` });
  const args = ['--config', join(dir, 'config.yaml')];
  const [validate, serve] = await Promise.all([
    runBuiltCli(t, ['validate', 'config', ...args], { env: env(dir, { HOOK_ALERTS_TOKEN: TOKEN }) }),
    runBuiltCli(t, ['serve', ...args], { env: env(dir, { HOOK_ALERTS_TOKEN: TOKEN, LOG_LEVEL: 'error' }) }),
  ]);
  for (const [what, res] of [['validate config', validate], ['serve', serve]] as const) {
    t.equal(res.code, 1, what);
    t.match(res.stderr, /kubernetes\.clusters\.0.*cannot load the kubeconfig for https:\/\/prod\.example\.com:6443.*\/no\/such\/prod\.kubeconfig/, what);
  }
  const none = await runBuiltCli(t, ['validate', 'config'], { env: env(dir, { HOOK_ALERTS_TOKEN: TOKEN }) });
  t.equal(none.code, 0, none.stderr);
  t.match(none.stderr, /^warning: Kubernetes enrichment is off: no in-cluster config and no kubeconfig/m, 'the warning serve logs');
});

t.test('SMTP_URL with another scheme: a config error naming the field', async (t) => {
  const dir = t.testdir({});
  const res = await runBuiltCli(t, ['validate', 'config'], { env: env(dir, { HOOK_ALERTS_TOKEN: TOKEN, SMTP_URL: 'https://u:secret@mail.example.com', EMAIL_FROM: 'a@example.com' }) });
  t.equal(res.code, 1);
  t.match(res.stderr, /email\.smtpUrl \(from SMTP_URL\): SMTP_URL must start with smtp:\/\/ \(STARTTLS, port 587\) or smtps:\/\/ \(TLS, port 465\), not "https:"/);
  t.notMatch(res.stderr, 'secret');
});

t.test('a numeric token in YAML is not echoed in the error', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'server:\n  token: 987654321987654321987\n' });
  const res = await runBuiltCli(t, ['serve', '--config', join(dir, 'config.yaml')], { env: env(dir) });
  t.equal(res.code, 1);
  t.match(res.stderr, /server\.token: Invalid input: expected string, received number; found a hidden number/);
  t.notMatch(res.stderr, /98765/);
});

t.test('Slack token that is not a bot token, or without a channel; SMTP_URL without sender or recipients: warnings, exit 0', async (t) => {
  const dir = t.testdir({});
  const slack = { HOOK_ALERTS_TOKEN: TOKEN, SLACK_BOT_TOKEN: 'xoxp-user-token' };
  const res = await runBuiltCli(t, ['validate', 'config'], { env: env(dir, slack) });
  t.equal(res.code, 0, res.stderr);
  t.match(res.stderr, /^warning: SLACK_BOT_TOKEN \(slack\.token\) is not a bot token \(xoxb-…\)/m);
  t.match(res.stderr, /^warning: a Slack token is set but no route names a Slack channel, so nothing goes to Slack: set SLACK_CHANNEL/m);
  t.notMatch(res.stderr, 'xoxp-user-token');
  const email = await runBuiltCli(t, ['validate', 'config'], { env: env(dir, { HOOK_ALERTS_TOKEN: TOKEN, SMTP_URL: 'smtp://127.0.0.1:2525' }) });
  t.match(email.stderr, /^warning: SMTP_URL is set but EMAIL_FROM is not, so no email is sent: set EMAIL_FROM/m);
  t.match(email.stderr, /^warning: SMTP_URL is set but no route names an email address/m);
});

t.test('serve on a port another process holds: exit 1, one message naming host:port, no stack, no hang', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const address = blocker.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const dir = t.testdir({});
  const res = await runBuiltCli(t, ['serve'], { env: env(dir, { HOOK_ALERTS_TOKEN: TOKEN, PORT: String(address.port), LOG_LEVEL: 'error' }) });
  t.equal(res.code, 1);
  t.equal(
    res.stderr,
    `argocd-hook-alerts: cannot listen on 127.0.0.1:${address.port}: another process already holds that address (EADDRINUSE): stop it (e.g. an earlier argocd-hook-alerts; \`ss -ltnp\` shows which), or set PORT / server.port to a free port\n`,
  );
});

t.test('a data dir that cannot be created (under /proc, where Node\'s recursive mkdir spins): exit 1, one message', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const dir = t.testdir({});
  const [configured, embedded] = await Promise.all([
    runBuiltCli(t, ['serve'], { env: env(dir, { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: '/proc/no-such-dir', LOG_LEVEL: 'error' }) }),
    runBuiltCli(t, ['serve', '--embedded-defaults'], { env: env(dir, { HOOK_ALERTS_DATA_DIR: '/proc/no-such-dir', LOG_LEVEL: 'error' }) }),
  ]);
  for (const [what, res] of [['serve', configured], ['serve --embedded-defaults', embedded]] as const) {
    t.equal(res.code, 1, what);
    t.match(res.stderr, /^argocd-hook-alerts: the data directory \/proc\/no-such-dir cannot be written \(.*ENOENT.*\): mount a writable volume there, or point HOOK_ALERTS_DATA_DIR at a writable directory\n$/, what);
  }
});

t.test('validate config names the store: PostgreSQL at the URL without its password; a bad URL is refused unprinted', async (t) => {
  const dir = t.testdir({});
  const url = 'postgres://alerts:db-s3cret@db.example:5432/alerts?sslmode=verify-full';
  const ok = await runBuiltCli(t, ['validate', 'config', '--insecure-no-auth'], { env: env(dir, { HOOK_ALERTS_DATABASE_URL: url }) });
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, 'config is valid; sinks on: file; store: PostgreSQL at postgres://alerts@db.example:5432/alerts?sslmode=verify-full; Application backstop: off (kubernetes.backstop.enabled: false): alerts come from Argo CD\'s webhook only\n');
  const bad = await runBuiltCli(t, ['validate', 'config', '--insecure-no-auth'], { env: env(dir, { HOOK_ALERTS_DATABASE_URL: 'postgres://alerts:db-s3cret@db.example' }) });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /store\.postgres\.url \(from HOOK_ALERTS_DATABASE_URL\): names no database/);
  t.notMatch(bad.stdout + bad.stderr, /db-s3cret/);
});

t.test('validate config says which mode of the Application backstop runs', async (t) => {
  const dir = t.testdir({
    'on.yaml': 'kubernetes:\n  enabled: "true"\n  backstop:\n    enabled: true\n    namespaces: [argocd, team-apps]\n',
    'no-cluster.yaml': 'kubernetes:\n  enabled: "false"\n  backstop:\n    enabled: true\n',
    kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t0123456789}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  });
  const on = await runBuiltCli(t, ['validate', 'config', '--insecure-no-auth', '--config', join(dir, 'on.yaml')], { env: env(dir, { KUBECONFIG: join(dir, 'kubeconfig') }) });
  t.equal(on.code, 0, on.stderr);
  t.match(on.stdout, /; Application backstop: on: watching Applications in argocd, team-apps beside the webhook \(needs list and watch on applications\.argoproj\.io there\)\n$/);
  const off = await runBuiltCli(t, ['validate', 'config', '--insecure-no-auth', '--config', join(dir, 'no-cluster.yaml')], { env: env(dir) });
  t.equal(off.code, 0, off.stderr);
  t.match(off.stdout, /; Application backstop: off: enabled, but Kubernetes is off \(no cluster to watch\)\n$/);
});
