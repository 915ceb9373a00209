import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { delimiter, join } from 'node:path';
import { connectKubeconfig, kubeconfigPaths, loadKubeconfig, loadKubeconfigFromEnv } from '../../../src/kube/kubeconfig.js';
import { KubeCredentialError, TokenFileSource, type KubeConnection } from '../../../src/kube/kubeconfig-connection.js';
import { inClusterConnection } from '../../../src/kube/kubeconfig-in-cluster.js';
import { b64, connectFile, oneContext, tlsPem, writeKubeconfigFile, type KubeconfigDoc } from '../../support/kubeconfig-files.js';

const SERVER = 'https://10.0.0.1:6443';

/** The headers and TLS options a connection puts on a request. */
async function requestOf(conn: KubeConnection): Promise<{ headers: Record<string, unknown>; tls: https.AgentOptions }> {
  const { agent, headers } = await conn.requestOptions();
  return { headers: { ...headers }, tls: (agent as https.Agent).options };
}

/** The message of what `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('nothing was thrown');
}

/** A mutable clock for the credential caches. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let at = start;
  return { now: () => at, advance: (ms) => (at += ms) };
}

t.test('kubeconfigPaths: KUBECONFIG split on the OS delimiter and deduplicated, else ~/.kube/config of HOME', async (t) => {
  t.same(kubeconfigPaths({ KUBECONFIG: ['/a/one', '', '/b/two', '/a/one'].join(delimiter), HOME: '/home/x' }), { files: ['/a/one', '/b/two'], fromEnv: true });
  t.same(kubeconfigPaths({ HOME: '/home/x' }), { files: [join('/home/x', '.kube', 'config')], fromEnv: false });
  t.same(kubeconfigPaths({ KUBECONFIG: delimiter, HOME: '/home/x' }), { files: [join('/home/x', '.kube', 'config')], fromEnv: false }, 'only empty entries: as if unset');
});

t.test('merge: the first file that names a cluster, user or context wins, and the first current-context', async (t) => {
  const dir = t.testdir();
  const first = writeKubeconfigFile(
    dir,
    {
      'current-context': 'a',
      clusters: [{ name: 'shared', cluster: { server: 'https://first:6443' } }],
      users: [{ name: 'shared', user: { token: 'first-token' } }],
      contexts: [{ name: 'a', context: { cluster: 'shared', user: 'shared' } }],
    },
    'first',
  );
  const second = writeKubeconfigFile(
    dir,
    {
      'current-context': 'b',
      clusters: [
        { name: 'shared', cluster: { server: 'https://second:6443' } },
        { name: 'only-second', cluster: { server: 'https://only-second:6443' } },
      ],
      users: [{ name: 'shared', user: { token: 'second-token' } }],
      contexts: [
        { name: 'a', context: { cluster: 'only-second' } },
        { name: 'b', context: { cluster: 'only-second', user: 'shared' } },
      ],
    },
    'second',
  );
  const kc = loadKubeconfig([first, second], { skipMissing: false });
  t.same(kc.files, [first, second]);
  t.equal(kc.currentContext, 'a');
  t.equal(kc.clusters.get('shared')?.server, 'https://first:6443');
  t.equal(kc.clusters.get('only-second')?.server, 'https://only-second:6443');
  t.equal(kc.users.get('shared')?.token, 'first-token');
  t.same(kc.contexts.get('a'), { cluster: 'shared', user: 'shared', namespace: null });

  const current = connectKubeconfig(kc, { where: 'KUBECONFIG' });
  t.equal(current.server, 'https://first:6443', 'current-context of the first file');
  t.same((await requestOf(current)).headers, { authorization: 'Bearer first-token' });
  const b = connectKubeconfig(kc, { context: 'b', where: 'KUBECONFIG' });
  t.equal(b.server, 'https://only-second:6443', 'a context of the second file, with the first file\'s user "shared"');
  t.same((await requestOf(b)).headers, { authorization: 'Bearer first-token' });

  const reversed = loadKubeconfig([second, first], { skipMissing: false });
  t.equal(reversed.currentContext, 'b');
  t.equal(reversed.clusters.get('shared')?.server, 'https://second:6443');
});

t.test('KUBECONFIG skips missing files but not all of them; an explicitly named file must exist; HOME when unset', async (t) => {
  const dir = t.testdir();
  const present = writeKubeconfigFile(dir, oneContext({ server: SERVER }, { token: 't' }), 'present');
  const missing = join(dir, 'missing');
  const kc = loadKubeconfigFromEnv({ KUBECONFIG: [missing, present].join(delimiter), HOME: dir });
  t.same(kc.files, [present]);
  t.equal(kc.currentContext, 'test');
  t.equal(
    thrown(() => loadKubeconfigFromEnv({ KUBECONFIG: [missing, join(dir, 'gone')].join(delimiter), HOME: dir })),
    `none of the kubeconfig files exist (${missing}, ${join(dir, 'gone')}): fix KUBECONFIG`,
  );
  t.match(thrown(() => loadKubeconfig([missing], { skipMissing: false })), new RegExp(`^cannot read ${missing}: .*ENOENT`));

  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  const homeConfig = writeKubeconfigFile(join(home, '.kube'), oneContext({ server: 'https://home:6443' }, null));
  const fromHome = loadKubeconfigFromEnv({ HOME: home });
  t.same(fromHome.files, [homeConfig]);
  t.equal(connectKubeconfig(fromHome, { where: 'KUBECONFIG' }).server, 'https://home:6443');
  t.match(thrown(() => loadKubeconfigFromEnv({ HOME: join(dir, 'nobody') })), /^cannot read .*nobody.*config: .*ENOENT/, '~/.kube/config is not skipped when missing');
});

t.test('file references are relative to the kubeconfig that holds them; a bare command name is not', async (t) => {
  const dir = t.testdir();
  const sub = join(dir, 'nested', 'kube');
  mkdirSync(sub, { recursive: true });
  const file = writeKubeconfigFile(sub, {
    clusters: [
      { name: 'rel', cluster: { server: SERVER, 'certificate-authority': 'pki/ca.crt' } },
      { name: 'abs', cluster: { server: SERVER, 'certificate-authority': '/etc/kube/ca.crt' } },
    ],
    users: [
      { name: 'certs', user: { 'client-certificate': 'client.crt', 'client-key': '../keys/client.key' } },
      { name: 'file', user: { tokenFile: './token' } },
      { name: 'exec-path', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'bin/plugin' } } },
      { name: 'exec-bare', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } } },
      { name: 'exec-abs', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/usr/local/bin/kubelogin' } } },
    ],
  });
  const kc = loadKubeconfig([file], { skipMissing: false });
  t.equal(kc.clusters.get('rel')?.['certificate-authority'], join(sub, 'pki', 'ca.crt'));
  t.equal(kc.clusters.get('abs')?.['certificate-authority'], '/etc/kube/ca.crt');
  t.equal(kc.users.get('certs')?.['client-certificate'], join(sub, 'client.crt'));
  t.equal(kc.users.get('certs')?.['client-key'], join(dir, 'nested', 'keys', 'client.key'));
  t.equal(kc.users.get('file')?.tokenFile, join(sub, 'token'));
  t.equal(kc.users.get('exec-path')?.exec?.command, join(sub, 'bin', 'plugin'));
  t.equal(kc.users.get('exec-bare')?.exec?.command, 'aws', 'looked up on PATH, as kubectl does');
  t.equal(kc.users.get('exec-abs')?.exec?.command, '/usr/local/bin/kubelogin');
});

t.test('TLS trust and client certificates from -data fields and files (relative to the kubeconfig)', async (t) => {
  const dir = t.testdir({ 'ca.crt': tlsPem('ca.crt'), 'client.crt': tlsPem('client.crt'), 'client.key': tlsPem('client.key') });
  const fromData = await requestOf(
    connectFile(
      dir,
      oneContext(
        { server: SERVER, 'certificate-authority-data': b64(tlsPem('ca.crt')), 'tls-server-name': 'api.kube.test' },
        { 'client-certificate-data': b64(tlsPem('client.crt')), 'client-key-data': b64(tlsPem('client.key')) },
      ),
    ),
  );
  t.match(fromData.tls, { ca: tlsPem('ca.crt'), cert: tlsPem('client.crt'), key: tlsPem('client.key'), servername: 'api.kube.test', rejectUnauthorized: true });
  t.same(fromData.headers, {}, 'no Authorization header for a certificate user');

  const fromFiles = await requestOf(
    connectFile(dir, oneContext({ server: SERVER, 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'client.crt', 'client-key': 'client.key' })),
  );
  t.match(fromFiles.tls, { ca: tlsPem('ca.crt'), cert: tlsPem('client.crt'), key: tlsPem('client.key'), rejectUnauthorized: true });
  t.notOk('servername' in fromFiles.tls, 'no tls-server-name: node checks the URL host');

  const insecure = await requestOf(connectFile(dir, oneContext({ server: SERVER, 'insecure-skip-tls-verify': true }, null)));
  t.equal(insecure.tls.rejectUnauthorized, false);
  t.notOk('ca' in insecure.tls);

  t.equal(
    thrown(() => connectFile(dir, oneContext({ server: SERVER, 'certificate-authority': 'nope.crt' }, null))),
    `cannot read certificate-authority of cluster "test": ${join(dir, 'nope.crt')}: ENOENT: no such file or directory, open '${join(dir, 'nope.crt')}'`,
  );
});

t.test('token, basic auth, impersonation headers', async (t) => {
  const dir = t.testdir();
  const token = await requestOf(connectFile(dir, oneContext({ server: SERVER }, { token: 123456 })));
  t.same(token.headers, { authorization: 'Bearer 123456' }, 'a numeric YAML token is read as text, as kubectl does');

  const basic = await requestOf(connectFile(dir, oneContext({ server: SERVER }, { username: 'admin', password: 'pa:ss wörd' })));
  t.same(basic.headers, { authorization: `Basic ${Buffer.from('admin:pa:ss wörd').toString('base64')}` });

  const anonymous = await requestOf(connectFile(dir, oneContext({ server: SERVER }, null)));
  t.same(anonymous.headers, {}, 'a context without a user sends no credentials');

  const impersonating = await requestOf(
    connectFile(
      dir,
      oneContext(
        { server: SERVER },
        {
          token: 'admin-token',
          as: 'jane@example.com',
          'as-uid': '1234-abcd',
          'as-groups': ['developers', 'oncall'],
          'as-user-extra': { reason: ['incident 42'], 'scopes.example.com/x y%': ['a', 'b'], 'team😀': ['x'] },
        },
      ),
    ),
  );
  t.same(impersonating.headers, {
    authorization: 'Bearer admin-token',
    'Impersonate-User': 'jane@example.com',
    'Impersonate-Uid': '1234-abcd',
    'Impersonate-Group': ['developers', 'oncall'],
    'Impersonate-Extra-reason': ['incident 42'],
    // client-go headerKeyEscape: bytes outside the header token alphabet, and %, are percent-encoded.
    'Impersonate-Extra-scopes.example.com%2Fx%20y%25': ['a', 'b'],
    'Impersonate-Extra-team%F0%9F%98%80': ['x'],
  });
});

t.test('context selection and the errors that say what to fix', async (t) => {
  const dir = t.testdir();
  const two: KubeconfigDoc = {
    clusters: [
      { name: 'c1', cluster: { server: 'https://one:6443' } },
      { name: 'c2', cluster: { server: 'https://two:6443' } },
    ],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [
      { name: 'one', context: { cluster: 'c1', user: 'u' } },
      { name: 'two', context: { cluster: 'c2', user: 'u' } },
    ],
  };
  const file = writeKubeconfigFile(dir, two);
  const kc = loadKubeconfig([file], { skipMissing: false });
  t.equal(connectKubeconfig(kc, { context: 'two', where: file }).server, 'https://two:6443');
  t.equal(thrown(() => connectKubeconfig(kc, { context: 'three', where: file })), `context "three" is not in ${file} (it has: one, two)`);
  t.equal(thrown(() => connectKubeconfig(kc, { where: file })), `${file} has no current context with a cluster: set \`context\` (it has: one, two)`);

  const cases: [string, KubeconfigDoc, string][] = [
    ['current-context not defined', { ...two, 'current-context': 'gone' }, `<file> has current-context "gone", which it does not define (it has: one, two): set \`context\``],
    ['no contexts at all', { clusters: two.clusters }, '<file> has no current context with a cluster: set `context` (it has: none)'],
    ['context without a cluster', { 'current-context': 'x', contexts: [{ name: 'x', context: { user: 'u' } }] }, 'context "x" in <file> names no cluster'],
    ['missing cluster', { ...two, 'current-context': 'x', contexts: [{ name: 'x', context: { cluster: 'c9', user: 'u' } }] }, 'context "x" names cluster "c9", which <file> does not define'],
    ['missing user', { ...two, 'current-context': 'x', contexts: [{ name: 'x', context: { cluster: 'c1', user: 'u9' } }] }, 'context "x" names user "u9", which <file> does not define'],
    ['cluster without server', oneContext({ 'certificate-authority-data': b64('x') }, null), 'cluster "test" in <file> has no server'],
    [
      'proxy-url socks5 (not supported)',
      oneContext({ server: SERVER, 'proxy-url': 'socks5://proxy:1080' }, null),
      'cluster "test" in <file>: proxy-url must be an http:// proxy (one that tunnels with CONNECT), not socks5://: socks5 and https proxies are not supported',
    ],
    [
      'insecure with CA data',
      oneContext({ server: SERVER, 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64(tlsPem('ca.crt')) }, null),
      'cluster "test" sets both insecure-skip-tls-verify and a certificate authority: remove one',
    ],
    [
      'insecure with a CA file',
      oneContext({ server: SERVER, 'insecure-skip-tls-verify': 'true', 'certificate-authority': '/etc/ca.crt' }, null),
      'cluster "test" sets both insecure-skip-tls-verify and a certificate authority: remove one',
    ],
    [
      'token and basic auth',
      oneContext({ server: SERVER }, { token: 't', username: 'u', password: 'p' }),
      'user "test" sets both a token and a username/password: keep one authentication method',
    ],
    [
      'token file and basic auth',
      oneContext({ server: SERVER }, { tokenFile: '/t', username: 'u' }),
      'user "test" sets both a token and a username/password: keep one authentication method',
    ],
    [
      'exec and a token',
      oneContext({ server: SERVER }, { token: 't', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }),
      'user "test" sets an exec plugin and also a token or password: keep one authentication method',
    ],
    [
      'certificate without key',
      oneContext({ server: SERVER }, { 'client-certificate-data': b64(tlsPem('client.crt')) }),
      'user "test" sets a client certificate without its key: set both client-certificate(-data) and client-key(-data)',
    ],
    [
      'key without certificate',
      oneContext({ server: SERVER }, { 'client-key-data': b64(tlsPem('client.key')) }),
      'user "test" sets a client key without its certificate: set both client-certificate(-data) and client-key(-data)',
    ],
    [
      'auth-provider',
      oneContext({ server: SERVER }, { 'auth-provider': { name: 'gcp', config: { 'access-token': 'ya29.secret' } } }),
      'user "test" uses the gcp auth-provider, which kubectl removed in 1.26: switch the kubeconfig to the exec plugin gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)',
    ],
    [
      'auth-provider oidc (still in kubectl)',
      oneContext({ server: SERVER }, { 'auth-provider': { name: 'oidc', config: { 'id-token': 'eyJ.secret', 'idp-issuer-url': 'https://issuer.example' } } }),
      'user "test" uses the oidc auth-provider, which argocd-hook-alerts does not implement (kubectl still does): use an exec plugin instead, e.g. kubelogin (kubectl oidc-login get-token), or a ServiceAccount token',
    ],
    [
      'auth-provider azure',
      oneContext({ server: SERVER }, { 'auth-provider': { name: 'azure', config: {} } }),
      'user "test" uses the azure auth-provider, which kubectl removed in 1.26: switch the kubeconfig to the exec plugin kubelogin (kubelogin convert-kubeconfig)',
    ],
    ['server not a URL', oneContext({ server: '10.0.0.1:6443' }, null), 'server "10.0.0.1:6443" is not a URL: write it as https://host:port'],
    ['server not https', oneContext({ server: 'ftp://kube.example' }, null), 'server ftp://kube.example must start with https:// (or http:// for a local proxy)'],
    [
      'exec without command',
      oneContext({ server: SERVER }, { exec: { apiVersion: 'client.authentication.k8s.io/v1' } }),
      'user "test": exec has no command: set exec.command to the credential plugin',
    ],
    [
      'exec without apiVersion',
      oneContext({ server: SERVER }, { exec: { command: 'aws' } }),
      'user "test": exec has no apiVersion: set it to client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1',
    ],
    [
      'interactive exec',
      oneContext({ server: SERVER }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws', interactiveMode: 'Always' } }),
      'user "test": exec interactiveMode is Always, but this service has no terminal to log in on: use a non-interactive login (a service account or workload identity) and set interactiveMode: Never',
    ],
  ];
  for (const [name, doc, message] of cases) {
    const path = writeKubeconfigFile(dir, doc, `case-${cases.findIndex((c) => c[0] === name)}`);
    t.equal(thrown(() => connectKubeconfig(loadKubeconfig([path], { skipMissing: false }), { where: path })), message.replaceAll('<file>', path), name);
  }
  t.notMatch(cases.map((c) => c[2]).join('\n'), /ya29\.secret/);
});

t.test('a broken file: where the problem is, never what the file holds', async (t) => {
  const dir = t.testdir();
  const secret = 'sekrit-0123456789abcdef';
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.message);
  };
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const broken: [string, string, RegExp][] = [
    ['unclosed quote', `users:\n- name: u\n  user:\n    token: "${secret}\n`, /is not valid YAML: MISSING_CHAR at line 5, column \d+$/],
    ['bad indentation', `users:\n- name: u\n  user:\n    token: ${secret}\n   x: y\n`, /is not valid YAML: BAD_INDENT at line 5, column \d+$/],
    ['duplicate key', `users:\n- name: u\n  user:\n    token: ${secret}\n    token: other\n`, /is not valid YAML: DUPLICATE_KEY at line 5, column \d+$/],
    ['bad escape', `users:\n- name: u\n  user:\n    token: "${secret}\\q"\n`, /is not valid YAML: BAD_DQ_ESCAPE at line 4, column \d+$/],
    ['unexpected token', `users:\n- name: u\n  user: {token: ${secret}}}\n`, /is not valid YAML: UNEXPECTED_TOKEN at line 3, column \d+$/],
    ['unresolved alias', `users:\n- name: u\n  user:\n    token: *${secret}\n`, /is not valid YAML: YAML error$/],
    ['bad directive', `%YAML ${secret}\n---\nusers: []\n`, /is not valid YAML: BAD_DIRECTIVE at line 1, column \d+$/],
    ['not a kubeconfig', `users:\n- name: u\n  user:\n    token: [${secret}]\n`, /is not a kubeconfig: users\.0\.user\.token: Invalid input$/],
  ];
  for (const [name, text, expected] of broken) {
    const path = join(dir, name.replaceAll(' ', '-'));
    writeFileSync(path, text);
    const message = thrown(() => loadKubeconfig([path], { skipMissing: false }));
    t.match(message, expected, name);
    t.ok(message.startsWith(`${path} is not`), `${name}: names the file`);
    t.notOk(message.includes(secret), `${name}: the token is not in the message`);
  }
  // A tag the parser does not know makes it warn on the process, quoting the tag.
  writeFileSync(join(dir, 'tagged'), `users:\n- name: u\n  user:\n    token: !${secret} x\n`);
  t.equal(loadKubeconfig([join(dir, 'tagged')], { skipMissing: false }).users.get('u')?.token, 'x');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(warnings.filter((w) => w.includes(secret)), [], 'no process warning quotes the file');

  const twice = writeKubeconfigFile(dir, { users: [{ name: 'u', user: { token: secret } }, { name: 'u', user: { token: 'x' } }] }, 'twice');
  t.equal(thrown(() => loadKubeconfig([twice], { skipMissing: false })), `${twice} defines user "u" twice: keep one`);
  const twiceCluster = writeKubeconfigFile(dir, { clusters: [{ name: 'c', cluster: { server: SERVER } }, { name: 'c', cluster: null }] }, 'twice-cluster');
  t.equal(thrown(() => loadKubeconfig([twiceCluster], { skipMissing: false })), `${twiceCluster} defines cluster "c" twice: keep one`);

  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  t.same(loadKubeconfig([empty], { skipMissing: false }).clusters.size, 0, 'an empty file is an empty config, as in kubectl');
});

t.test('in-cluster: service account CA and token, IPv6 host, what is missing', async (t) => {
  const root = t.testdir({ 'ca.crt': tlsPem('ca.crt'), token: 'sa-token-1\n' });
  const conn = inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, root });
  t.equal(conn.server, 'https://10.96.0.1:443');
  const req = await requestOf(conn);
  t.same(req.headers, { authorization: 'Bearer sa-token-1' });
  t.match(req.tls, { ca: tlsPem('ca.crt'), rejectUnauthorized: true });
  t.equal(inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' }, root }).server, 'https://[fd00:10:96::1]:443');

  t.equal(
    thrown(() => inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, root })),
    'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set (the kubelet sets them in every pod): run in a pod or use a kubeconfig',
  );
  const noCa = t.testdir({ token: 'x' });
  t.match(
    thrown(() => inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, root: noCa })),
    new RegExp(`^cannot read the service account CA ${join(noCa, 'ca.crt')}: .*ENOENT.*; mount the service account token \\(automountServiceAccountToken: true\\)$`),
  );
  const noToken = t.testdir({ 'ca.crt': tlsPem('ca.crt') });
  t.throws(() => inClusterConnection({ env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, root: noToken }), {
    name: 'KubeCredentialError',
    message: new RegExp(`^cannot read the service account token ${join(noToken, 'token')}: .*ENOENT`),
  });
});

t.test('TokenFileSource: re-read after the period and after invalidate(), not before', async (t) => {
  const dir = t.testdir({ token: ' first-token \n' });
  const path = join(dir, 'token');
  const c = clock();
  const source = new TokenFileSource(path, { base: { authorization: null, cert: 'CERT', key: 'KEY' }, now: c.now, what: 'tokenFile of user "u":' });
  t.same(await source.get(), { authorization: 'Bearer first-token', cert: 'CERT', key: 'KEY' }, 'trimmed, with the base client certificate');

  writeFileSync(path, 'second-token');
  c.advance(TokenFileSource.PERIOD_MS - 1);
  t.equal((await source.get()).authorization, 'Bearer first-token', 'not re-read within the period');
  c.advance(1);
  t.equal((await source.get()).authorization, 'Bearer second-token', 're-read once the period passed');

  writeFileSync(path, 'third-token');
  t.equal((await source.get()).authorization, 'Bearer second-token');
  source.invalidate();
  t.equal((await source.get()).authorization, 'Bearer third-token', 're-read at once after invalidate (a 401)');

  // A rotation caught half-way (an empty or missing file) keeps the token we have, as client-go's
  // cachedFileTokenSource does, and reads again on the next call.
  writeFileSync(path, '');
  c.advance(TokenFileSource.PERIOD_MS);
  t.equal((await source.get()).authorization, 'Bearer third-token', 'an empty file on a periodic re-read keeps the last token');
  writeFileSync(path, 'fourth-token');
  t.equal((await source.get()).authorization, 'Bearer fourth-token', 'and the next call reads again');

  // After a 401 the last token is known to be bad: a file that cannot be read is the error.
  writeFileSync(path, '\n');
  source.invalidate();
  await t.rejects(source.get(), new KubeCredentialError(`tokenFile of user "u": ${path} is empty: it must hold a bearer token`));

  const empty = join(dir, 'empty');
  writeFileSync(empty, '  \n');
  t.throws(() => new TokenFileSource(empty, { base: { authorization: null, cert: null, key: null }, now: c.now, what: 'tokenFile of user "u":' }), {
    name: 'KubeCredentialError',
    message: `tokenFile of user "u": ${empty} is empty: it must hold a bearer token`,
  });
});

t.test('tokenFile from a kubeconfig is read at connect time and re-read on the injected clock', async (t) => {
  const dir = t.testdir({ token: 'file-token-1' });
  const c = clock();
  const conn = connectFile(dir, oneContext({ server: SERVER }, { tokenFile: 'token' }), { now: c.now });
  t.same((await requestOf(conn)).headers, { authorization: 'Bearer file-token-1' });
  writeFileSync(join(dir, 'token'), 'file-token-2');
  conn.invalidateCredentials();
  t.same((await requestOf(conn)).headers, { authorization: 'Bearer file-token-2' });
  t.throws(() => connectFile(dir, oneContext({ server: SERVER }, { tokenFile: 'missing' })), {
    name: 'KubeCredentialError',
    message: new RegExp(`^cannot read tokenFile of user "test": ${join(dir, 'missing')}: .*ENOENT`),
  });
});
