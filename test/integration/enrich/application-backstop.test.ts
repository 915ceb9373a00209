/*
 * The Application backstop (issue 19 item 1) through the running service, its webhook on a real socket and
 * the Kubernetes API test server serving Argo CD Applications (argoproj.io/v1alpha1, list and watch).
 * The Applications are test/fixtures/apps/presync-job-failed.json, whose status shapes follow argo-cd
 * v3.5.1 pkg/apis/application/v1alpha1/types.go (OperationState: phase, message, startedAt, finishedAt,
 * retryCount, syncResult; SyncOperationResult.resources[]: ResourceResult with hookType, hookPhase,
 * syncPhase, images), with each operation's startedAt/finishedAt moved to just now: two operations of one
 * app differ only by them, as two failed syncs within one reconcile period do.
 */
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiServer, type KubeObject } from '../../support/kube-api-server.js';
import { contractBody, loadApplication } from '../../support/contract-bodies.js';
import { postEvent, waitUntil } from '../../support/service-http.js';
import { metricValue } from '../../support/prom-text.js';
import { capturingLogger } from '../../support/log-capture.js';
import { configSchema } from '../../../src/config/schema.js';
import { createService, type Service } from '../../../src/main.js';

const TOKEN = 'backstop-test-token-0123456789';

/** The failed PreSync Application with its operation started `startedAgoS` seconds ago and ended 60 s later. */
function failedApp(startedAgoS: number): KubeObject {
  const app = loadApplication('presync-job-failed') as KubeObject;
  const op = (app.status as { operationState: { startedAt: string; finishedAt: string } }).operationState;
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  op.startedAt = iso(Date.now() - startedAgoS * 1000);
  op.finishedAt = iso(Date.now() - (startedAgoS - 60) * 1000);
  return app;
}

/** The webhook body Argo CD's generated template renders for that Application. */
function webhookOf(app: KubeObject): Record<string, unknown> {
  return contractBody(app, 'hook-failed');
}

interface Running {
  service: Service;
  url: string;
  metrics: () => Promise<string>;
  /** Distinct incidents that got a first alert ("failed" delivery). */
  incidents: () => Promise<string[]>;
  /** The Slack JSON written to the outbox for an incident, once it is there. */
  alertOf: (incident: string) => Promise<string>;
  logs: Record<string, unknown>[];
}

async function start(t: Test, kube: KubeApiServer, backstop: Record<string, unknown> | null): Promise<Running> {
  const dir = t.testdir({});
  const outbox = join(dir, 'outbox');
  const config = configSchema.parse({
    dataDir: dir,
    server: { host: '127.0.0.1', port: 0, token: TOKEN },
    worker: { pollIntervalMs: 20 },
    kubernetes: {
      enabled: 'true',
      bounds: { callTimeoutMs: 60_000, deadlineMs: 120_000 },
      ...(backstop === null ? {} : { backstop }),
    },
    file: { enabled: 'true', dir: outbox },
  });
  const { logger, logs } = capturingLogger('warn');
  // The cluster the service runs in (the Argo CD one) is KUBECONFIG's current context.
  const service = await createService(config, { logger, env: { KUBECONFIG: kube.writeKubeconfig(dir), HOME: dir } });
  t.teardown(() => service.close());
  const url = await service.listen();
  return {
    service,
    url,
    logs,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    incidents: async () => [...new Set((await service.store.listDeliveries()).filter((d) => d.kind === 'failed').map((d) => d.incidentId))],
    alertOf: async (incident) => {
      const dirOf = join(outbox, incident);
      let text = '';
      await waitUntil(`the alert of ${incident} in the outbox`, () => {
        if (!existsSync(dirOf)) return false;
        const file = readdirSync(dirOf, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.slack.json'));
        if (file === undefined) return false;
        text = readFileSync(join(dirOf, file), 'utf8');
        return true;
      });
      return text;
    },
  };
}

async function backstopSaw(r: Running, outcome: 'accepted' | 'duplicate', count: number): Promise<void> {
  await waitUntil(`the backstop counted ${count} ${outcome}`, async () => metricValue(await r.metrics(), 'hook_alerts_backstop_events_total', { outcome }) >= count);
}

t.test('two failed operations within one reconcile period: the webhook sends one, the backstop raises both', async (t) => {
  const first = failedApp(300);
  const second = failedApp(120);

  // What Argo CD sends in that period: one webhook, for the first false→true transition only.
  const scenario = async (r: Running, kube: KubeApiServer): Promise<string> => {
    const posted = await postEvent(r.url, TOKEN, webhookOf(first));
    t.equal(posted.status, 202);
    kube.putApplication(first);
    kube.putApplication(second);
    return String(posted.json.incident);
  };

  await t.test('webhook alone (backstop off): one incident, the second failure is lost', async (t) => {
    const kube = await KubeApiServer.start();
    t.teardown(() => kube.close());
    const r = await start(t, kube, null);
    const incident = await scenario(r, kube);
    await r.alertOf(incident);
    t.same(await r.incidents(), [incident], 'only the operation Argo CD notified');
    t.notOk(kube.requests.some((q) => q.path.includes('/argoproj.io/')), 'off by default: Applications are never asked for');
    t.notMatch(await r.alertOf(incident), /seen first by/, 'with the webhook alone the alert does not say which path saw it');
  });

  await t.test('with the backstop: one incident per operation, each saying which path saw it first', async (t) => {
    const kube = await KubeApiServer.start();
    t.teardown(() => kube.close());
    const r = await start(t, kube, { enabled: true, namespaces: ['argocd'] });
    const incident = await scenario(r, kube);
    await backstopSaw(r, 'accepted', 1);
    await backstopSaw(r, 'duplicate', 1);
    await waitUntil('two incidents alerted', async () => (await r.incidents()).length === 2);
    const incidents = await r.incidents();
    t.equal(incidents.length, 2, 'two operations, two incidents');
    t.ok(incidents.includes(incident), "the webhook's operation is one of them, not a second incident");
    const other = incidents.find((i) => i !== incident) ?? '';
    t.match(await r.alertOf(incident), /seen first by Argo CD's webhook/, 'the first: the webhook saw it first');
    t.match(await r.alertOf(other), /seen first by the Application watch/, 'the second: only the watch saw it');
    const deliveries = await r.service.store.listDeliveries();
    t.equal(deliveries.filter((d) => d.incidentId === incident).length, 1, 'the operation seen by both paths is alerted once');
  });
});

t.test('the watch first, then the webhook of the same failure: one incident, the watch saw it first', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const r = await start(t, kube, { enabled: true });
  const app = failedApp(200);
  kube.putApplication(app);
  await backstopSaw(r, 'accepted', 1);
  await waitUntil('the incident the watch opened', async () => (await r.incidents()).length > 0);
  const [incident] = await r.incidents();
  t.type(incident, 'string');
  const posted = await postEvent(r.url, TOKEN, webhookOf(app));
  t.same(posted.json, { incident, duplicate: true }, "Argo CD's late webhook is the same event: a duplicate of the watch's");
  t.match(await r.alertOf(String(incident)), /seen first by the Application watch/);
  t.equal((await r.service.store.listDeliveries()).length, 1, 'one alert');
});

t.test('403 on listing Applications: a clear log line and metric, and the service keeps taking webhooks', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  kube.forbid('list', 'applications', 'argocd');
  const r = await start(t, kube, { enabled: true });
  await waitUntil('the forbidden list is logged', () => r.logs.some((l) => String(l.msg).includes('may not list or watch applications.argoproj.io')));
  const line = r.logs.find((l) => String(l.msg).includes('may not list or watch applications.argoproj.io'));
  t.match(String(line?.msg), /grant it \(deploy\/components\/argocd-backstop\) or set kubernetes\.backstop\.enabled: false/);
  t.match(String(line?.error), /cannot list resource "applications" in API group "argoproj\.io"/);
  const metrics = await r.metrics();
  t.ok(metricValue(metrics, 'hook_alerts_kube_api_errors_total', { cluster: 'in-cluster', kind: 'forbidden' }) >= 1, 'counted as a forbidden API call');
  t.equal(metricValue(metrics, 'hook_alerts_backstop_watch_up', { watched_namespace: 'argocd' }), 0, 'the backstop watch is down');
  t.equal((await fetch(`${r.url}/healthz`)).status, 200);
  const posted = await postEvent(r.url, TOKEN, webhookOf(failedApp(100)));
  t.equal(posted.status, 202);
  t.type(posted.json.incident, 'string', 'webhooks are still accepted');
  t.match(await r.alertOf(String(posted.json.incident)), /seen first by Argo CD's webhook/);
});
