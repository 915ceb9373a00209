import t from 'tap';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { event, hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { contractBody, loadApplication } from '../../support/contract-bodies.js';
import { configSchema } from '../../../src/config/schema.js';
import { startService } from '../../../src/main.js';
import { REQUIRED_ACCESS } from '../../../src/kube/kube-client.js';
import { waitUntil } from '../../support/service-http.js';
import { sqliteStoreOf } from '../../support/sqlite-service-store.js';

const TOKEN = 'service-test-token-0123456789';

function outboxFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.slack.json'));
}

/** Wait for `get()` to return something; fails the test instead of hanging. */
async function until<T>(what: string, get: () => T | undefined): Promise<T> {
  let value: T | undefined;
  await waitUntil(what, () => (value = get()) !== undefined, { intervalMs: 10 });
  if (value === undefined) throw new Error(`no value for: ${what}`);
  return value;
}

t.test('the running service enriches a hook-failed alert from the cluster and raises hook-stuck', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir();
  const kubeconfig = kube.writeKubeconfig(dir);
  const outbox = join(dir, 'outbox');

  const job = kube.putJob(
    hookJob({ failed: 1, conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:02:31Z' }] }),
  );
  const pod = kube.putPod(jobPod(job, { name: 'db-migrate-svc01', phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'db-migrate-svc01', 'migrate', 'DATABASE_URL=postgres://app:SvcSecret42@db/app\nERROR: column "currency" contains null values\n');
  kube.putEvent(event(job, { reason: 'BackoffLimitExceeded', type: 'Warning', message: 'Job has reached the specified backoff limit' }));
  void pod;
  // A PreSync Job that has been running for 20 minutes: stuck (threshold 1 min here).
  const startedAt = new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const slow = kube.putJob(hookJob({ name: 'schema-backfill', app: 'orders-api', startTime: startedAt, active: 1 }));
  kube.putPod(jobPod(slow, { name: 'schema-backfill-r1', phase: 'Running', createdAt: startedAt, statuses: [{ name: 'migrate', state: states.running(startedAt) }] }));
  kube.setLog('payments', 'schema-backfill-r1', 'migrate', 'backfilling orders 12%\n');

  const config = configSchema.parse({
    dataDir: dir,
    server: { host: '127.0.0.1', port: 0, token: TOKEN },
    worker: { pollIntervalMs: 20 },
    kubernetes: {
      enabled: 'true',
      clusters: [{ server: 'https://kubernetes.default.svc', kubeconfig }],
      // Bounds on a hang only: a loaded machine must not cut the enrichment short.
      bounds: { callTimeoutMs: 60_000, deadlineMs: 120_000 },
      stuck: { thresholdMinutes: 1, checkIntervalMs: 1_000 },
    },
    file: { enabled: 'true', dir: outbox },
  });
  const service = await startService(config, pino({ level: 'silent' }));
  t.teardown(() => service.close());

  const res = await fetch(`${service.url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(contractBody(loadApplication('presync-job-failed'), 'hook-failed')),
  });
  t.equal(res.status, 202);

  // A bare Pod hook (no Job) of another operation: enrichment reads the pod by name.
  const barePod = jobPod(job, { name: 'db-check', phase: 'Failed', createdAt: '2026-11-20T15:00:00Z', statuses: [{ name: 'migrate', state: states.terminated(2, 'Error') }] });
  barePod.metadata = { ...barePod.metadata, generateName: undefined, ownerReferences: [], labels: {} };
  kube.putPod(barePod);
  kube.setLog('payments', 'db-check', 'migrate', 'schema check failed\n');
  const podHookBody = contractBody(loadApplication('presync-job-failed'), 'hook-failed') as {
    operationState: { startedAt: string; syncResult: { resources: Record<string, unknown>[] } };
  };
  podHookBody.operationState.startedAt = '2026-11-20T15:00:00Z';
  podHookBody.operationState.syncResult.resources = [
    { group: '', version: 'v1', kind: 'Pod', namespace: 'payments', name: 'db-check', hookType: 'PreSync', hookPhase: 'Failed', message: 'pod failed', syncPhase: 'PreSync' },
  ];
  const podHook = await fetch(`${service.url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(podHookBody),
  });
  t.equal(podHook.status, 202);
  const podHookFile = await until('the Pod hook alert', () =>
    outboxFiles(outbox).find((f) => f.includes('-failed') && readFileSync(join(outbox, f), 'utf8').includes('schema check failed')),
  );
  t.ok(podHookFile, 'the bare Pod hook alert has its log');

  // Two failed alerts are in the outbox, one folder per incident: pick the Job's by its hook name.
  const failedFile = await until('the db-migrate alert in the outbox', () =>
    outboxFiles(outbox).find((f) => f.includes('-failed') && readFileSync(join(outbox, f), 'utf8').includes('hook db-migrate')),
  );
  const failed = readFileSync(join(outbox, failedFile), 'utf8');
  t.match(failed, /column \\"currency\\" contains null values/, 'the log tail is in the alert');
  t.notMatch(failed, /SvcSecret42/, 'the secret in the log is not');

  const stuckFile = await until('the stuck alert in the outbox', () => outboxFiles(outbox).find((f) => f.includes('-stuck')));
  const stuck = readFileSync(join(outbox, stuckFile), 'utf8');
  t.match(stuck, /orders-api/);
  t.match(stuck, /schema-backfill/);
  t.match(stuck, /backfilling orders 12%/, 'the stuck hook\'s pod log is in the alert');
  const captures = sqliteStoreOf(service).captureStore({ ttlMs: 3_600_000, maxTotalBytes: 1024 * 1024 * 1024 });
  const captured = await until('the stuck pod captured', () =>
    captures.forJob('https://kubernetes.default.svc', 'payments', 'schema-backfill', Date.now()).find((c) => c.pod.name === 'schema-backfill-r1'),
  );
  t.equal(captured.reason, 'stuck');

  // The RBAC manifests are checked against REQUIRED_ACCESS (test/unit/enrich); this checks REQUIRED_ACCESS
  // against the API calls the running service really made: enrichment, capture and the stuck watcher.
  const made = new Set(kube.requests.map((r) => accessOf(r.method, r.path, r.query)));
  const granted = new Set(REQUIRED_ACCESS.flatMap((a) => a.verbs.map((v) => `${a.apiGroup}|${a.resource}|${v}`)));
  t.same([...made].sort(), [...granted].sort(), 'every call the service made is granted, and every grant is used');
});

/** The RBAC (apiGroup|resource|verb) a request to the Kubernetes API needs. */
function accessOf(method: string, path: string, query: Record<string, string>): string {
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+)?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
  if (m === null || method !== 'GET') return `unexpected ${method} ${path}`;
  const [, group = '', resource = '', name, sub] = m;
  const verb = name === undefined ? (query.watch === 'true' || query.watch === '1' ? 'watch' : 'list') : 'get';
  return `${group}|${sub === undefined ? resource : `${resource}/${sub}`}|${verb}`;
}
