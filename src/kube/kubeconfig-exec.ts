import { spawn } from 'node:child_process';
import { z } from 'zod';
import { execCredentialSchema, type ExecConfig, type KubeconfigCluster } from './kubeconfig-schema.js';
import { KubeCredentialError, type CredentialSource, type Credentials } from './kubeconfig-connection.js';

/** The credential plugin API versions client-go speaks (v1alpha1 was removed in Kubernetes 1.24). */
const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;

/** Longest a plugin may run: a cloud CLI that waits for a browser login must not hold enrichment forever. */
const EXEC_TIMEOUT_MS = 30_000;
/** Credentials are fetched again this long before they expire, so that a request never carries a stale one. */
const EXPIRY_SKEW_MS = 10_000;
/** An ExecCredential is a few KiB; more is not one. */
const STDOUT_CAP = 1024 * 1024;
/** How much of a failing plugin's stderr goes into the error. */
const STDERR_CAP = 2048;
/** The cluster extension client-go hands to the plugin as spec.cluster.config. */
const EXEC_EXTENSION = 'client.authentication.k8s.io/exec';

/** Cluster facts for KUBERNETES_EXEC_INFO when the plugin sets provideClusterInfo. */
export interface ExecClusterInfo {
  cluster: KubeconfigCluster;
  server: string;
  caPem: string | null;
}

/**
 * Check an exec stanza at load time, as kubectl's config validation does: a broken one is a start-up
 * error, not a failure of every call.
 */
function validateExecConfig(exec: ExecConfig, user: string): { command: string; apiVersion: string } {
  const { command, apiVersion } = exec;
  if (command === null) throw new Error(`user "${user}": exec has no command: set exec.command to the credential plugin`);
  if (apiVersion === null) {
    throw new Error(`user "${user}": exec has no apiVersion: set it to ${EXEC_API_VERSIONS.join(' or ')}`);
  }
  if (apiVersion === 'client.authentication.k8s.io/v1alpha1') {
    throw new Error(
      `user "${user}": exec apiVersion client.authentication.k8s.io/v1alpha1 was removed in Kubernetes 1.24: update the tool that wrote this kubeconfig (for EKS: aws eks update-kubeconfig with AWS CLI ≥ 2.7) to get v1beta1 or v1`,
    );
  }
  if (!(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new Error(`user "${user}": exec apiVersion ${apiVersion} is not supported: use ${EXEC_API_VERSIONS.join(' or ')}`);
  }
  if (exec.interactiveMode === 'Always') {
    throw new Error(
      `user "${user}": exec interactiveMode is Always, but this service has no terminal to log in on: use a non-interactive login (a service account or workload identity) and set interactiveMode: Never`,
    );
  }
  return { command, apiVersion };
}

/** The KUBERNETES_EXEC_INFO client-go sets: non-interactive, with the cluster when asked for. */
function execInfo(exec: ExecConfig, apiVersion: string, info: ExecClusterInfo | null): string {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo && info !== null) {
    const c = info.cluster;
    const config = c.extensions.find((e) => e.name === EXEC_EXTENSION)?.extension;
    spec.cluster = {
      server: info.server,
      ...(c['tls-server-name'] === null ? {} : { 'tls-server-name': c['tls-server-name'] }),
      ...(c['insecure-skip-tls-verify'] ? { 'insecure-skip-tls-verify': true } : {}),
      ...(info.caPem === null ? {} : { 'certificate-authority-data': Buffer.from(info.caPem).toString('base64') }),
      ...(c['proxy-url'] === null ? {} : { 'proxy-url': c['proxy-url'] }),
      ...(config === undefined ? {} : { config }),
    };
  }
  return JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });
}

type RunResult = { stdout: Buffer; stderr: string; code: number | null; signal: NodeJS.Signals | null };

/** Run the plugin without a terminal: stdin closed, stdout and stderr captured with caps, killed after the limit. */
function runPlugin(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, describe: string, hint: string | null): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: Error | null = null;
    const fail = (e: Error): void => {
      failure ??= e;
      child.kill('SIGKILL');
      // 'close' waits for the pipes too, and a process the plugin started (a shell's child, a login
      // helper) can hold them open long after the plugin is gone: stop reading, so that it fires on exit.
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(
      () => fail(new KubeCredentialError(`${describe} gave no credentials within ${timeoutMs / 1000} s and was stopped: check that it can log in without a terminal`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > STDOUT_CAP) fail(new KubeCredentialError(`${describe} printed more than ${STDOUT_CAP} bytes: that is not an ExecCredential`));
      else out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (err.length < STDERR_CAP) err += chunk.slice(0, STDERR_CAP - err.length);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(new KubeCredentialError(`${describe} was not found (ENOENT)${hint === null ? ': install it or fix exec.command' : `: ${hint}`}`));
      } else if (e.code === 'EACCES') {
        reject(new KubeCredentialError(`${describe} cannot be run (EACCES): make it executable`));
      } else {
        reject(new KubeCredentialError(`${describe} could not start: ${e.message}`));
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure !== null) reject(failure);
      else resolve({ stdout: Buffer.concat(out), stderr: err.trim(), code, signal });
    });
  });
}

/**
 * Credentials from a client-go credential plugin (users[].user.exec): run on first use, cached until
 * `expirationTimestamp` (or until a 401 when the plugin gives none), one run at a time however many calls
 * wait. A token or a client certificate from the plugin replaces the kubeconfig's own.
 */
export class ExecCredentialSource implements CredentialSource {
  readonly #exec: ExecConfig & { command: string; apiVersion: string };
  readonly #user: string;
  readonly #cluster: ExecClusterInfo | null;
  readonly #base: Credentials;
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #cached: { creds: Credentials; expiresAt: number | null } | null = null;
  #pending: Promise<Credentials> | null = null;

  constructor(
    exec: ExecConfig,
    opts: { user: string; cluster: ExecClusterInfo | null; base: Credentials; env: NodeJS.ProcessEnv; timeoutMs?: number; now: () => number },
  ) {
    this.#exec = { ...exec, ...validateExecConfig(exec, opts.user) };
    this.#user = opts.user;
    this.#cluster = opts.cluster;
    this.#base = opts.base;
    this.#env = opts.env;
    this.#timeoutMs = opts.timeoutMs ?? EXEC_TIMEOUT_MS;
    this.#now = opts.now;
  }

  /** Cached credentials, or the plugin's fresh ones. */
  get(): Promise<Credentials> {
    const cached = this.#cached;
    if (cached !== null && (cached.expiresAt === null || this.#now() < cached.expiresAt - EXPIRY_SKEW_MS)) return Promise.resolve(cached.creds);
    this.#pending ??= this.#run().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** After a 401: run the plugin again on the next call (client-go does the same). */
  invalidate(): void {
    this.#cached = null;
  }

  async #run(): Promise<Credentials> {
    const { command, args, apiVersion } = this.#exec;
    const describe = `exec plugin ${command} (user "${this.#user}")`;
    const env: NodeJS.ProcessEnv = { ...this.#env };
    for (const e of this.#exec.env) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = execInfo(this.#exec, apiVersion, this.#cluster);
    const result = await runPlugin(command, args, env, this.#timeoutMs, describe, this.#exec.installHint);
    if (result.code !== 0) {
      const how = result.signal !== null ? `was killed by ${result.signal}` : `failed with exit code ${result.code ?? '?'}`;
      throw new KubeCredentialError(`${describe} ${how}${result.stderr === '' ? ' and wrote nothing on stderr' : `: ${result.stderr}`}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(result.stdout.toString('utf8'));
    } catch {
      // The parser's message quotes the output, which may be a bare token: say only what is wrong.
      throw new KubeCredentialError(`${describe} printed something that is not JSON: it must print an ExecCredential (${apiVersion})`);
    }
    const parsed = execCredentialSchema.safeParse(json);
    if (!parsed.success) throw new KubeCredentialError(`${describe} printed an invalid ExecCredential: ${z.prettifyError(parsed.error)}`);
    const cred = parsed.data;
    if (cred.apiVersion !== apiVersion) {
      throw new KubeCredentialError(`${describe} is configured for ${apiVersion} but answered ${cred.apiVersion}: set exec.apiVersion to what the plugin speaks`);
    }
    const status = cred.status;
    if (status === null) throw new KubeCredentialError(`${describe} returned no status: it gave no credentials`);
    if ((status.clientCertificateData === null) !== (status.clientKeyData === null)) {
      throw new KubeCredentialError(`${describe} returned a client certificate without its key, or a key without its certificate`);
    }
    if (status.token === null && status.clientCertificateData === null) {
      throw new KubeCredentialError(`${describe} returned neither a token nor a client certificate and key`);
    }
    let expiresAt: number | null = null;
    if (status.expirationTimestamp !== null) {
      expiresAt = Date.parse(status.expirationTimestamp);
      if (Number.isNaN(expiresAt)) {
        throw new KubeCredentialError(`${describe} returned expirationTimestamp ${JSON.stringify(status.expirationTimestamp)}, which is not an RFC 3339 time`);
      }
    }
    const creds: Credentials = {
      authorization: status.token === null ? this.#base.authorization : `Bearer ${status.token}`,
      cert: status.clientCertificateData ?? this.#base.cert,
      key: status.clientKeyData ?? this.#base.key,
    };
    this.#cached = { creds, expiresAt };
    return creds;
  }
}
