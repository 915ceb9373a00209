import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterRegistry } from '../../../src/enrich/cluster-registry.js';
import { kubernetesConfigSchema } from '../../../src/enrich/enrich-config.js';
import { KubeCallError } from '../../../src/kube/kube-failure.js';
import type { KubeConnection } from '../../../src/kube/kubeconfig-connection.js';
import { clientOf, readJob, startApiStub, STUB_JOB_UID, writeExecPlugin, type ApiStub } from '../../support/kube-auth-stub.js';
import { b64, connectFile, oneContext, tlsPem, writeKubeconfigFile } from '../../support/kubeconfig-files.js';
import { startConnectProxy } from '../../support/connect-proxy.js';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

/** The KubeCallError a call failed with. */
async function callError(p: Promise<unknown>): Promise<KubeCallError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeCallError) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}

/** The message of what a connection's credential fetch rejects with. */
async function credentialError(conn: KubeConnection): Promise<string> {
  try {
    await conn.requestOptions();
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  throw new Error('credentials were returned');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('TLS: the server certificate checked against the kubeconfig CA', async (t) => {
  const stub = await startApiStub(t, { tls: { requestCert: false } });
  const dir = t.testdir({ 'ca.crt': tlsPem('ca.crt') });
  const user = { token: 'tls-token' };

  t.test('certificate-authority-data', async (t) => {
    const client = clientOf(t, connectFile(dir, oneContext({ server: stub.url, 'certificate-authority-data': b64(tlsPem('ca.crt')) }, user)));
    t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID);
    t.match(stub.calls.at(-1), { path: '/apis/batch/v1/namespaces/payments/jobs/db-migrate', authorization: 'Bearer tls-token', servername: null });
  });

  t.test('certificate-authority file, relative to the kubeconfig', async (t) => {
    const client = clientOf(t, connectFile(dir, oneContext({ server: stub.url, 'certificate-authority': 'ca.crt' }, user)));
    t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID);
  });

  t.test('tls-server-name: checked instead of the URL host, and sent as SNI', async (t) => {
    const named = clientOf(t, connectFile(dir, oneContext({ server: stub.url, 'certificate-authority': 'ca.crt', 'tls-server-name': 'api.kube.test' }, user)));
    t.equal((await readJob(named))?.metadata.uid, STUB_JOB_UID);
    t.equal(stub.calls.at(-1)?.servername, 'api.kube.test');
    // 127.0.0.1 is in the certificate too: a name it does not hold shows that tls-server-name is what is checked.
    const calls = stub.calls.length;
    const wrong = clientOf(t, connectFile(dir, oneContext({ server: stub.url, 'certificate-authority': 'ca.crt', 'tls-server-name': 'other.kube.test' }, user)));
    const err = await callError(readJob(wrong));
    t.equal(err.kind, 'unreachable');
    t.match(err.detail, /does not name this host; use a server address its certificate names, or set tls-server-name/);
    t.equal(stub.calls.length, calls, 'no request was sent');
  });

  t.test('insecure-skip-tls-verify: an untrusted certificate is accepted', async (t) => {
    const client = clientOf(t, connectFile(dir, oneContext({ server: stub.url, 'insecure-skip-tls-verify': true }, user)));
    t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID);
  });

  t.test('no CA: unreachable, with the hint to set certificate-authority', async (t) => {
    const calls = stub.calls.length;
    const client = clientOf(t, connectFile(dir, oneContext({ server: stub.url }, user)));
    const err = await callError(readJob(client));
    t.equal(err.kind, 'unreachable');
    t.match(err.detail, /not signed by a trusted CA; set certificate-authority\(-data\) to the cluster's CA/);
    t.notMatch(err.message, /tls-token/);
    t.equal(stub.calls.length, calls, 'the token was not sent to an untrusted server');
  });
});

t.test('TLS: client certificates from -data fields, files, and their absence', async (t) => {
  const stub = await startApiStub(t, { tls: { requestCert: true } });
  const dir = t.testdir({ 'ca.crt': tlsPem('ca.crt'), 'client.crt': tlsPem('client.crt'), 'client.key': tlsPem('client.key') });
  const cluster = { server: stub.url, 'certificate-authority': 'ca.crt' };

  const fromData = clientOf(t, connectFile(dir, oneContext(cluster, { 'client-certificate-data': b64(tlsPem('client.crt')), 'client-key-data': b64(tlsPem('client.key')) })));
  t.equal((await readJob(fromData))?.metadata.uid, STUB_JOB_UID);
  t.match(stub.calls.at(-1), { clientCN: 'hook-alerts-test', authorization: null });

  const fromFiles = clientOf(t, connectFile(dir, oneContext(cluster, { 'client-certificate': 'client.crt', 'client-key': 'client.key' })));
  t.equal((await readJob(fromFiles))?.metadata.uid, STUB_JOB_UID);
  t.equal(stub.calls.at(-1)?.clientCN, 'hook-alerts-test');
  t.equal(stub.calls.length, 2);

  const without = clientOf(t, connectFile(dir, oneContext(cluster, { token: 'no-cert-token' })));
  const err = await callError(readJob(without));
  t.equal(err.kind, 'unreachable');
  // TLS 1.3: the server's "certificate required" alert, or the reset that follows it.
  t.match(err.detail, /(certificate required.* \(TLS handshake failed; .*that a client certificate is configured\)|the connection was dropped)$/);
  t.notMatch(err.detail, /\n/, 'one line (OpenSSL ends its message with a newline)');
  t.equal(stub.calls.length, 2, 'the server refused the handshake');
});

t.test('basic auth and impersonation on the wire, non-ASCII names as UTF-8 (as client-go sends them)', async (t) => {
  const stub = await startApiStub(t);
  const dir = t.testdir();
  const user = { username: 'admin', password: 's3cret', as: 'jürgen', 'as-groups': ['ops', 'équipe 😀'], 'as-user-extra': { 'reason/why': ['incident 42'] } };
  t.equal((await readJob(clientOf(t, connectFile(dir, oneContext({ server: stub.url }, user)))))?.metadata.uid, STUB_JOB_UID);
  const headers = stub.calls[0]?.headers ?? {};
  // node's server reads header bytes as Latin-1: back to the bytes, then UTF-8.
  const utf8 = (v: string | string[] | undefined): string => Buffer.from(String(v), 'latin1').toString('utf8');
  t.equal(headers.authorization, `Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  t.equal(utf8(headers['impersonate-user']), 'jürgen');
  t.equal(utf8(headers['impersonate-group']), 'ops, équipe 😀', 'both groups');
  t.equal(headers['impersonate-extra-reason%2fwhy'], 'incident 42');
});

t.test('exec plugin', async (t) => {
  /** A kubeconfig whose user runs the test plugin (`./plugin.cjs`, relative to the kubeconfig). */
  const setup = async (
    t: Test,
    exec: Record<string, unknown> = {},
    opts: { cluster?: Record<string, unknown>; now?: () => number; processEnv?: NodeJS.ProcessEnv; execTimeoutMs?: number; stub?: ApiStub } = {},
  ): Promise<{ stub: ApiStub; plugin: ReturnType<typeof writeExecPlugin>; conn: KubeConnection; dir: string }> => {
    const stub = opts.stub ?? (await startApiStub(t));
    // One directory per plugin (t.testdir is one per test): each counts its own runs.
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-exec-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const plugin = writeExecPlugin(dir);
    const conn = connectFile(dir, oneContext({ server: stub.url, ...opts.cluster }, { exec: { apiVersion: V1, command: './plugin.cjs', ...exec } }), {
      ...(opts.now === undefined ? {} : { now: opts.now }),
      ...(opts.processEnv === undefined ? {} : { processEnv: opts.processEnv }),
      // Only a bound on a hang where the test does not set the limit under test: node's start-up can take
      // many seconds on a loaded machine.
      execTimeoutMs: opts.execTimeoutMs ?? 120_000,
    });
    t.teardown(() => conn.close());
    return { stub, plugin, conn, dir };
  };

  t.test('the token reaches the API server; cached until its expiry, one run for concurrent calls', async (t) => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const { stub, plugin, conn } = await setup(t, { env: [{ name: 'PLUGIN_EXPIRES', value: '2026-12-01T11:00:00Z' }] }, { now: () => now });
    const client = clientOf(t, conn);
    stub.acceptedToken = 'exec-token-1';
    t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID);
    const jobs = await Promise.all([readJob(client), readJob(client), readJob(client)]);
    t.same(jobs.map((j) => j?.metadata.uid), [STUB_JOB_UID, STUB_JOB_UID, STUB_JOB_UID]);
    t.equal(plugin.runs().length, 1, 'one run for four calls');
    t.same(stub.calls.map((c) => c.authorization), Array(4).fill('Bearer exec-token-1'));

    now = Date.parse('2026-12-01T10:59:49Z');
    await readJob(client);
    t.equal(plugin.runs().length, 1, 'still cached 11 s before expiry');
    now = Date.parse('2026-12-01T10:59:51Z');
    stub.acceptedToken = 'exec-token-2';
    t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID, 'run again within 10 s of the expiry');
    t.equal(plugin.runs().length, 2);
    t.equal(stub.calls.at(-1)?.authorization, 'Bearer exec-token-2');
  });

  t.test('a 401 runs the plugin again for the next call', async (t) => {
    const { stub, plugin, conn } = await setup(t);
    const client = clientOf(t, conn);
    stub.acceptedToken = 'exec-token-2';
    const err = await callError(readJob(client));
    t.equal(err.kind, 'unauthorized');
    t.equal(err.status, 401);
    t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID);
    t.same(stub.calls.map((c) => c.authorization), ['Bearer exec-token-1', 'Bearer exec-token-2']);
    t.equal(plugin.runs().length, 2);
    await readJob(client);
    t.equal(plugin.runs().length, 2, 'no expirationTimestamp: cached until the next 401');
  });

  t.test('KUBERNETES_EXEC_INFO: not interactive, the cluster only with provideClusterInfo', async (t) => {
    const extension = { audience: 'kubernetes', region: 'eu-west-1' };
    const cluster = {
      'certificate-authority-data': b64(tlsPem('ca.crt')),
      'tls-server-name': 'api.kube.test',
      extensions: [{ name: 'client.authentication.k8s.io/exec', extension }, { name: 'other', extension: { x: 1 } }],
    };
    const withInfo = await setup(t, { apiVersion: V1BETA1, provideClusterInfo: true }, { cluster });
    t.ok(await readJob(clientOf(t, withInfo.conn)));
    t.same(withInfo.plugin.runs()[0]?.execInfo, {
      apiVersion: V1BETA1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: { server: withInfo.stub.url, 'tls-server-name': 'api.kube.test', 'certificate-authority-data': b64(tlsPem('ca.crt')), config: extension },
      },
    });
    const without = await setup(t, {}, { cluster, stub: withInfo.stub });
    await readJob(clientOf(t, without.conn));
    t.same(without.plugin.runs()[0]?.execInfo, { apiVersion: V1, kind: 'ExecCredential', spec: { interactive: false } });
  });

  t.test('args and env from the kubeconfig, on top of the inherited environment', async (t) => {
    const { plugin, conn } = await setup(
      t,
      { args: ['token', '--cluster-id', 'prod-eu'], env: [{ name: 'PLUGIN_PROFILE', value: 'ops' }, { name: 'FROM_BOTH', value: 'kubeconfig' }] },
      { processEnv: { ...process.env, FROM_PROCESS: 'inherited', FROM_BOTH: 'process' } },
    );
    await readJob(clientOf(t, conn));
    t.match(plugin.runs()[0], { args: ['token', '--cluster-id', 'prod-eu'], env: { PLUGIN_PROFILE: 'ops', FROM_PROCESS: 'inherited', FROM_BOTH: 'kubeconfig' } });
  });

  t.test('a failing plugin: its stderr in the error, nothing sent, no token in any error', async (t) => {
    const failing = await setup(t, { env: [{ name: 'PLUGIN_MODE', value: 'fail' }] });
    const err = await callError(readJob(clientOf(t, failing.conn)));
    t.equal(err.kind, 'credentials');
    t.equal(err.detail, `exec plugin ${failing.plugin.command} (user "test") failed with exit code 3: error: the refresh token expired; run cloud-cli login`);
    t.equal(failing.stub.calls.length, 0);

    const garbage = await setup(t, { env: [{ name: 'PLUGIN_MODE', value: 'garbage' }] });
    t.equal(
      await credentialError(garbage.conn),
      `KubeCredentialError: exec plugin ${garbage.plugin.command} (user "test") printed something that is not JSON: it must print an ExecCredential (${V1})`,
    );
    const wrongVersion = await setup(t, { env: [{ name: 'PLUGIN_MODE', value: 'wrong-version' }] });
    const wrongErr = await callError(readJob(clientOf(t, wrongVersion.conn)));
    t.equal(
      wrongErr.detail,
      `exec plugin ${wrongVersion.plugin.command} (user "test") is configured for ${V1} but answered client.authentication.k8s.io/v1alpha1: set exec.apiVersion to what the plugin speaks`,
    );
    t.notMatch(`${err.message}\n${await credentialError(garbage.conn)}\n${wrongErr.message}`, /exec-token/);
  });

  t.test('a plugin that does not answer is killed after execTimeoutMs', async (t) => {
    const hanging = await setup(t, { env: [{ name: 'PLUGIN_MODE', value: 'hang' }] }, { execTimeoutMs: 1_500 });
    const failure = credentialError(hanging.conn);
    // Spawned before requestOptions() returned, so its pid is known however long node takes to start on a
    // busy machine (the plugin may be stopped before it runs a line of its own).
    const [pid] = hanging.plugin.running();
    t.ok(pid !== undefined, 'the plugin was started');
    t.equal(
      await failure,
      `KubeCredentialError: exec plugin ${hanging.plugin.command} (user "test") gave no credentials within 1.5 s and was stopped: check that it can log in without a terminal`,
    );
    t.notOk(pid !== undefined && alive(pid), 'the plugin process is gone');
  });

  t.test('a plugin stopped while a child it started holds stdout open: the error does not wait for the child', { timeout: 60_000 }, async (t) => {
    // Stopped for printing more than the cap (the same stop as the timeout's, but with no race against
    // the plugin's start-up): the child lives until the teardown kills it, so an error that waited for it
    // would come only with this test's timeout.
    const { plugin, conn } = await setup(t, { env: [{ name: 'PLUGIN_MODE', value: 'flood-with-child' }] });
    t.teardown(() => {
      const child = plugin.childPid();
      if (child !== null && alive(child)) process.kill(child, 'SIGKILL');
    });
    t.equal(
      await credentialError(conn),
      `KubeCredentialError: exec plugin ${plugin.command} (user "test") printed more than 1048576 bytes: that is not an ExecCredential`,
    );
    const child = plugin.childPid();
    t.ok(child !== null && alive(child), 'the child was still running when the error came');
  });

  t.test('a plugin that is not there: ENOENT, with the install hint when the kubeconfig has one', async (t) => {
    const missing = await setup(t, { command: './no-such-plugin' });
    const command = join(missing.dir, 'no-such-plugin');
    t.equal(await credentialError(missing.conn), `KubeCredentialError: exec plugin ${command} (user "test") was not found (ENOENT): install it or fix exec.command`);
    const hinted = await setup(t, { command: 'no-such-plugin-on-path', installHint: 'install cloud-cli from https://cloud.example/cli' });
    t.equal(
      await credentialError(hinted.conn),
      'KubeCredentialError: exec plugin no-such-plugin-on-path (user "test") was not found (ENOENT): install cloud-cli from https://cloud.example/cli',
    );
  });

  t.test('v1alpha1 is refused at load time, with what to update', async (t) => {
    const dir = t.testdir();
    t.throws(() => connectFile(dir, oneContext({ server: 'https://10.0.0.1' }, { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'aws' } })), {
      message:
        'user "test": exec apiVersion client.authentication.k8s.io/v1alpha1 was removed in Kubernetes 1.24: update the tool that wrote this kubeconfig (for EKS: aws eks update-kubeconfig with AWS CLI ≥ 2.7) to get v1beta1 or v1',
    });
    t.throws(() => connectFile(dir, oneContext({ server: 'https://10.0.0.1' }, { exec: { apiVersion: 'example.com/v2', command: 'aws' } })), {
      message: `user "test": exec apiVersion example.com/v2 is not supported: use ${V1} or ${V1BETA1}`,
    });
  });

  t.test('a client certificate from the plugin is presented in the TLS handshake', async (t) => {
    const stub = await startApiStub(t, { tls: { requestCert: true } });
    const { plugin, conn } = await setup(t, { env: [{ name: 'PLUGIN_MODE', value: 'cert' }] }, { stub, cluster: { 'certificate-authority-data': b64(tlsPem('ca.crt')) } });
    t.equal((await readJob(clientOf(t, conn)))?.metadata.uid, STUB_JOB_UID);
    t.match(stub.calls, [{ clientCN: 'hook-alerts-test', authorization: null }]);
    t.equal(plugin.runs().length, 1);
  });
});

t.test('end to end: a rotated tokenFile is read again after the 401 that the old token gets', async (t) => {
  const stub = await startApiStub(t);
  const dir = t.testdir({ token: 'rotated-1\n' });
  const kubeconfig = writeKubeconfigFile(dir, oneContext({ server: stub.url }, { tokenFile: 'token' }, 'prod'));
  const config = kubernetesConfigSchema.parse({ enabled: 'true', clusters: [{ server: 'https://prod.example.com:6443', kubeconfig }] });
  const { registry } = ClusterRegistry.fromConfig(config, { HOME: dir });
  const resolved = registry?.resolve({ server: 'https://prod.example.com:6443/', name: null });
  if (resolved?.ok !== true) throw new Error('the configured cluster did not resolve');
  const client = resolved.client;

  stub.acceptedToken = 'rotated-1';
  t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID);
  writeFileSync(join(dir, 'token'), 'rotated-2\n');
  stub.acceptedToken = 'rotated-2';
  const err = await callError(readJob(client));
  t.equal(err.kind, 'unauthorized', 'within the re-read period the old token is still sent');
  t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID, 'after the 401 the next call reads the file');
  t.same(stub.calls.map((c) => c.authorization), ['Bearer rotated-1', 'Bearer rotated-1', 'Bearer rotated-2']);
});

t.test('proxy-url: the API server is reached through a CONNECT tunnel, TLS checked end to end inside it', async (t) => {
  const stub = await startApiStub(t, { tls: { requestCert: false } });
  const proxy = await startConnectProxy(t);
  const dir = t.testdir();
  const withCredentials = new URL(proxy.url);
  withCredentials.username = 'egress';
  withCredentials.password = 'p@ss';
  const client = clientOf(
    t,
    connectFile(dir, oneContext({ server: stub.url, 'certificate-authority-data': b64(tlsPem('ca.crt')), 'proxy-url': withCredentials.toString() }, { token: 'proxied-token' })),
  );
  t.equal((await readJob(client))?.metadata.uid, STUB_JOB_UID);
  t.same(proxy.targets, [new URL(stub.url).host], 'one tunnel, to the API server');
  t.same(proxy.authorizations, [`Basic ${Buffer.from('egress:p@ss').toString('base64')}`], 'the proxy credentials of the URL');
  t.match(stub.calls.at(-1), { authorization: 'Bearer proxied-token' }, 'the token goes inside the tunnel, to the API server');

  const wrongCa = clientOf(t, connectFile(dir, oneContext({ server: stub.url, 'certificate-authority-data': b64(tlsPem('client.crt')), 'proxy-url': proxy.url }, { token: 't' })));
  const err = await callError(readJob(wrongCa));
  t.equal(err.kind, 'unreachable');
  t.match(err.detail, /certificate/, "the API server's certificate is still checked through the tunnel");
});

t.test('proxy-url that cannot be reached: the error names the proxy', async (t) => {
  const stub = await startApiStub(t, { tls: { requestCert: false } });
  const dir = t.testdir();
  const client = clientOf(t, connectFile(dir, oneContext({ server: stub.url, 'certificate-authority-data': b64(tlsPem('ca.crt')), 'proxy-url': 'http://127.0.0.1:1' }, { token: 't' })));
  const err = await callError(readJob(client));
  t.match(err.detail, /the proxy 127\.0\.0\.1:1 \(proxy-url\) cannot be reached/);
  t.equal(stub.calls.length, 0);
});
