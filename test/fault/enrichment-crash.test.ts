/**
 * An event whose enrichment kills the process must not crash every start (a crash loop holds back that
 * alert and every one behind it). The built service under the image's settings (`npm run build` first) is
 * killed while it enriches: a lone attempt that dies marks the event, which goes out without enrichment
 * on the next start, saying so; events that were being enriched beside it are retried alone.
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiServer } from '../support/kube-api-server.js';
import { hookJob, jobPod, states } from '../support/kube-fixtures.js';
import { hookFailedBody, operationStart } from '../support/hook-failed-body.js';
import { REPO_ROOT } from '../support/contract-bodies.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { postEvent, waitUntil } from '../support/service-http.js';
import { POISON_NOTE } from '../../src/worker/worker.js';

const TOKEN = 'enrichment-crash-token-0123456789';

if (!existsSync(join(REPO_ROOT, 'dist/src/cli.js'))) throw new Error('dist/src/cli.js is missing: run `npm run build` first');

/** Start the built service on `dir` (file sink, no pod watchers, calls that wait as long as the server hangs). */
async function start(t: Test, dir: string, kube: KubeApiServer): Promise<ServiceProcess> {
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    ['kubernetes:', '  bounds:', '    callTimeoutMs: 120000', '    deadlineMs: 300000', '  capture:', '    enabled: false', '  stuck:', '    enabled: false', '  blocked:', '    enabled: false', '  failedWhileRunning:', '    enabled: false', ''].join('\n'),
  );
  const svc = await startServiceProcess(
    t,
    ['--config', config],
    { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dir, KUBECONFIG: kube.writeKubeconfig(dir), HOME: dir, LOG_LEVEL: 'info' },
    { built: true },
  );
  t.teardown(() => {
    svc.child.kill('SIGKILL');
  });
  return svc;
}

/** Kill the process once the cluster holds `n` hanging requests in all (a crash in the middle of enrichment). */
async function killWhenHanging(svc: ServiceProcess, kube: KubeApiServer, n: number): Promise<void> {
  await waitUntil(`${n} hanging requests`, () => kube.requests.filter((r) => r.status === -1).length >= n, { maxMs: 60_000 });
  svc.child.kill('SIGKILL');
  await svc.exited;
  // The rest of the dead process's first wave may still sit unread in the server's sockets: count it before
  // the next start, which must ask nothing more.
  await waitUntil("the dead process's connections are closed", () => kube.openConnections === 0, { maxMs: 10_000 });
}

/** The Slack rendering of an app's alert in the outbox, once there. */
async function alertOf(dir: string, app: string): Promise<string> {
  const outbox = join(dir, 'outbox');
  let found = '';
  await waitUntil(
    `the alert of ${app}`,
    () => {
      if (!existsSync(outbox)) return false;
      for (const f of readdirSync(outbox, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.slack.json'))) {
        const text = readFileSync(join(outbox, f), 'utf8');
        if (text.includes(`argocd/${app}`)) found = text;
      }
      return found !== '';
    },
    { intervalMs: 100, maxMs: 60_000 },
  );
  return found;
}

function failedJob(kube: KubeApiServer, name: string): void {
  const job = kube.putJob(hookJob({ name, failed: 1 }));
  kube.putPod(jobPod(job, { name: `${name}-x7k2p`, phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', `${name}-x7k2p`, 'migrate', `ERROR: ${name} failed\n`);
}

t.test('an event whose lone enrichment killed the process goes out without enrichment on the next start', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  kube.fault({ path: /.*/, respond: 'hang' });
  const dir = t.testdir({});
  const first = await start(t, dir, kube);
  t.equal((await postEvent(first.url, TOKEN, hookFailedBody({ app: 'poison-app' }))).status, 202);
  await killWhenHanging(first, kube, 1);
  const asked = kube.requests.length;

  const second = await start(t, dir, kube);
  const alert = await alertOf(dir, 'poison-app');
  t.ok(alert.includes(POISON_NOTE), 'the alert says enrichment was skipped and why');
  t.equal(kube.requests.length, asked, 'the cluster was not asked again');
  t.ok(
    second.logs.some((l) => l.msg === 'enrichment of this event killed the process, also when it ran alone: the alert goes out without cluster details'),
    'the log says so',
  );
});

t.test('events enriched beside the culprit are retried alone; only the culprit goes out unenriched', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  failedJob(kube, 'poison-job');
  failedJob(kube, 'fine-job');
  kube.fault({ path: /\/jobs\/poison-job$/, respond: 'hang' });
  // The other one hangs on its first read only: it is in flight when the process dies, and fine later.
  kube.fault({ path: /\/jobs\/fine-job$/, respond: 'hang', times: 1 });
  const dir = t.testdir({});
  const first = await start(t, dir, kube);
  t.equal((await postEvent(first.url, TOKEN, hookFailedBody({ app: 'poison-app', hooks: [{ name: 'poison-job' }] }))).status, 202);
  t.equal((await postEvent(first.url, TOKEN, hookFailedBody({ app: 'fine-app', startedAt: operationStart(1), hooks: [{ name: 'fine-job' }] }))).status, 202);
  await killWhenHanging(first, kube, 2);

  // Both are suspects: the older one is retried alone, and kills the process again.
  const second = await start(t, dir, kube);
  await killWhenHanging(second, kube, 3);
  const hanging = kube.requests.filter((r) => r.status === -1);
  t.match(hanging[2]?.path, /\/jobs\/poison-job$/, 'the second start retried the culprit');
  t.equal(hanging.length, 3, 'alone: the other event was not started beside it');

  await start(t, dir, kube);
  const poisoned = await alertOf(dir, 'poison-app');
  const fine = await alertOf(dir, 'fine-app');
  t.ok(poisoned.includes(POISON_NOTE), 'the culprit goes out without enrichment, saying why');
  t.notOk(fine.includes(POISON_NOTE), 'the other one is not blamed');
  t.match(fine, /ERROR: fine-job failed/, 'and is enriched');
});
