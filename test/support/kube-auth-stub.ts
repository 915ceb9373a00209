import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Test } from 'tap';
import { KubeClient } from '../../src/kube/kube-client.js';
import type { KubeJob } from '../../src/kube/kube-objects.js';
import type { KubeConnection } from '../../src/kube/kubeconfig-connection.js';
import { hookJob } from './kube-fixtures.js';
import { tlsPem, TLS_DIR } from './kubeconfig-files.js';

/**
 * An API server that checks credentials, for the kubeconfig tests: http, or https with the fixture
 * certificate (optionally requiring a client certificate signed by the fixture CA). It answers GET of
 * a Job with the same Job, and records what each request presented.
 */

/** The uid of the Job the stub serves. */
export const STUB_JOB_UID = '0b6e4a8e-5d7c-4c59-9f0e-6a1d2c3b4a59';

/** What one request presented. */
export interface SeenCall {
  path: string;
  authorization: string | null;
  /** The TLS server name the client sent (SNI), or null. */
  servername: string | null;
  /** The CN of the client certificate, or null. */
  clientCN: string | null;
  headers: IncomingMessage['headers'];
}

/** See the file comment. */
export interface ApiStub {
  url: string;
  calls: SeenCall[];
  /** The one Authorization token answered (others get a 401); null: any, with or without one. */
  acceptedToken: string | null;
}

/** Start a stub on 127.0.0.1:0, closed in t.teardown. */
export async function startApiStub(t: Test, opts: { tls?: { requestCert: boolean } } = {}): Promise<ApiStub> {
  const job = JSON.stringify(hookJob({ uid: STUB_JOB_UID }));
  const stub: ApiStub = { url: '', calls: [], acceptedToken: null };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket as Partial<TLSSocket>;
    const servername = socket.servername;
    const peer = socket.getPeerCertificate?.();
    const cn = peer?.subject?.CN;
    stub.calls.push({
      path: req.url ?? '',
      authorization: req.headers.authorization ?? null,
      servername: typeof servername === 'string' ? servername : null,
      clientCN: typeof cn === 'string' ? cn : null,
      headers: req.headers,
    });
    const refused = stub.acceptedToken !== null && req.headers.authorization !== `Bearer ${stub.acceptedToken}`;
    const [code, body] = refused
      ? [401, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 })]
      : [200, job];
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(body);
  };
  const server =
    opts.tls === undefined
      ? http.createServer(handle)
      : https.createServer(
          { key: tlsPem('server.key'), cert: tlsPem('server.crt'), ca: tlsPem('ca.crt'), requestCert: opts.tls.requestCert, rejectUnauthorized: opts.tls.requestCert },
          handle,
        );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  stub.url = `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

/**
 * The per-call timeout and deadline of the test clients: only a bound on a hang. A call includes the run
 * of an exec plugin (a node process), which takes seconds to start on a loaded machine.
 */
const CALL_BOUND_MS = 120_000;

/** A KubeClient over the connection (closed in t.teardown). */
export function clientOf(t: Test, connection: KubeConnection): KubeClient {
  t.teardown(() => connection.close());
  return new KubeClient('test', connection, { callTimeoutMs: CALL_BOUND_MS });
}

/** GET the stub's Job through a client. */
export function readJob(client: KubeClient): Promise<KubeJob | null> {
  return client.readJob('payments', 'db-migrate', AbortSignal.timeout(CALL_BOUND_MS));
}

/** Pids of the processes whose command line contains `fragment` (from /proc; Linux). */
function pidsRunning(fragment: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch (err) {
      // The process ended between the listing and the read.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') continue;
      throw err;
    }
    if (cmdline.split('\0').includes(fragment)) pids.push(Number(entry));
  }
  return pids;
}

/** One run of the test exec plugin, as it recorded it. */
export interface PluginRun {
  pid: number;
  args: string[];
  execInfo: unknown;
  /** Its environment variables named PLUGIN_* or FROM_*. */
  env: Record<string, string>;
}

/**
 * A client-go credential plugin (node, run through its #! line). Each run appends a line to runs.jsonl
 * next to it and, by PLUGIN_MODE (set through exec.env):
 * - token (default): prints an ExecCredential of the requested apiVersion with token exec-token-<run>,
 *   and PLUGIN_EXPIRES as expirationTimestamp if set;
 * - cert: prints the fixture client certificate and key instead of a token;
 * - fail: writes a login error on stderr and exits 3;
 * - garbage: prints its token as plain text; wrong-version: answers with another apiVersion;
 * - hang: never answers;
 * - flood-with-child: starts a child that holds stdout open until it is killed or this test process is
 *   gone (its pid in child.pid), then prints 2 MiB and waits.
 * `running()` lists the processes running the plugin now, read from /proc: right after the spawn, before
 * the plugin itself could record anything.
 */
export function writeExecPlugin(dir: string): { command: string; runs: () => PluginRun[]; childPid: () => number | null; running: () => number[] } {
  const command = join(dir, 'plugin.cjs');
  const log = join(dir, 'runs.jsonl');
  const script = `#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const log = ${JSON.stringify(log)};
const run = (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\\n').filter(Boolean).length : 0) + 1;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PLUGIN_') || k.startsWith('FROM_')));
const execInfo = JSON.parse(process.env.KUBERNETES_EXEC_INFO || 'null');
fs.appendFileSync(log, JSON.stringify({ pid: process.pid, args: process.argv.slice(2), execInfo, env }) + '\\n');
const apiVersion = execInfo === null ? 'client.authentication.k8s.io/v1' : execInfo.apiVersion;
const token = 'exec-token-' + run;
const print = (status) => process.stdout.write(JSON.stringify({ apiVersion, kind: 'ExecCredential', status }));
switch (process.env.PLUGIN_MODE || 'token') {
  case 'fail':
    process.stderr.write('error: the refresh token expired; run cloud-cli login\\n');
    process.exit(3);
    break;
  case 'garbage':
    process.stdout.write(token + '\\n');
    break;
  case 'wrong-version':
    process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1alpha1', kind: 'ExecCredential', status: { token } }));
    break;
  case 'cert':
    print({
      clientCertificateData: fs.readFileSync(${JSON.stringify(join(TLS_DIR, 'client.crt'))}, 'utf8'),
      clientKeyData: fs.readFileSync(${JSON.stringify(join(TLS_DIR, 'client.key'))}, 'utf8'),
    });
    break;
  case 'flood-with-child': {
    // Polls for the test process, so that a test killed before its teardown leaves nothing behind.
    const watch = 'setInterval(() => { try { process.kill(${process.pid}, 0); } catch { process.exit(0); } }, 1000);';
    const child = spawn(process.execPath, ['-e', watch], { stdio: ['ignore', 'inherit', 'inherit'] });
    fs.writeFileSync(${JSON.stringify(join(dir, 'child.pid'))}, String(child.pid));
    process.stdout.write('x'.repeat(2 * 1024 * 1024));
    setInterval(() => {}, 1000);
    break;
  }
  case 'hang':
    setInterval(() => {}, 1000);
    break;
  default:
    print(process.env.PLUGIN_EXPIRES ? { token, expirationTimestamp: process.env.PLUGIN_EXPIRES } : { token });
}
`;
  writeFileSync(command, script);
  chmodSync(command, 0o755);
  const runs = (): PluginRun[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as PluginRun)
      : [];
  const childPid = (): number | null => {
    const file = join(dir, 'child.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8')) : null;
  };
  return { command, runs, childPid, running: () => pidsRunning(command) };
}
