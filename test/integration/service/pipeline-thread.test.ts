/**
 * `serve` runs the pipeline (worker, enrichment, sinks) in a thread of its own. Through the real service:
 * an alert goes from the webhook to Slack across the threads, /metrics merges both threads' series,
 * /healthz reports the thread's worker, its log lines reach the service's log stream, an error at the thread's
 * start reaches the caller with its code, and worker.thread: false keeps everything on one event loop.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadConfig } from '../../../src/config/load-config.js';
import { startService } from '../../../src/main.js';
import { PipelineThread } from '../../../src/pipeline/pipeline-thread-client.js';
import { HookAlertsError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/config/load-config.js';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { capturingLogger } from '../../support/log-capture.js';
import { failedBodyForOperation } from '../../support/contract-bodies.js';
import { getJson, postEvent, waitUntil } from '../../support/service-http.js';
import { metricSample } from '../../support/prom-text.js';

const TOKEN = 'pipeline-thread-token-0123456789';

function configFor(dir: string, slack: SlackApiServer, overrides: JsonObject = {}): ReturnType<typeof loadConfig> {
  return loadConfig({
    env: { HOOK_ALERTS_TOKEN: TOKEN, SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, SLACK_CHANNEL: '#deploys', HOME: dir },
    overrides: { dataDir: dir, server: { host: '127.0.0.1', port: 0 }, worker: { pollIntervalMs: 20 }, kubernetes: { enabled: 'false' }, ...overrides },
  });
}

t.test('an alert crosses from intake to the pipeline thread and out to Slack; /metrics and /healthz see both threads', async (t) => {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const dir = t.testdir({});
  const { logger, stream } = capturingLogger('info');
  const svc = await startService(configFor(dir, slack), logger, { logStream: stream });
  t.teardown(() => svc.close());
  t.ok(svc.pipeline instanceof PipelineThread, 'the pipeline runs in its own thread');
  const niceOf = (task: string): number => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[16]);
  // Linux: each thread has its own nice value (field 19 of its stat line, counted after the command).
  const own = existsSync('/proc/thread-self') ? niceOf(String(process.pid)) : 10;
  if (own < 10) {
    const tasks = readdirSync('/proc/self/task');
    t.equal(tasks.filter((task) => niceOf(task) === own).length, tasks.length - 1, 'every other thread keeps the process priority');
    t.equal(tasks.filter((task) => niceOf(task) === 10).length, 1, 'one thread, the pipeline, runs at nice 10');
  }
  const res = await postEvent(svc.url, TOKEN, failedBodyForOperation(1));
  t.equal(res.status, 202);
  await waitUntil('the Slack post', () => slack.messages.length === 1);

  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  t.equal(metricSample(metrics, 'hook_alerts_events_total', { outcome: 'accepted' }), 1, "intake's counter, from the main thread");
  await waitUntil('the delivery is counted', async () => metricSample(await (await fetch(`${svc.url}/metrics`)).text(), 'hook_alerts_deliveries_total', { sink: 'slack', outcome: 'sent' }) === 1);
  t.equal(metricSample(metrics, 'hook_alerts_deliveries_total', { sink: 'slack', outcome: 'dead' }), 0, "the worker's series exist from the start");
  t.equal([...metrics.matchAll(/^hook_alerts_build_info\{[^}]*\} (\S+)$/gm)].map((m) => m[1]).join(','), '1', 'build info is one series at 1, not the sum of two threads');
  t.ok((metricSample(metrics, 'hook_alerts_worker_last_pass_timestamp_seconds', {}) ?? 0) > 0, "the thread's worker passes are seen");
  t.match(metrics, /^hook_alerts_process_resident_memory_bytes \d+/m, 'the process metrics are there');
  t.match(metrics, /^hook_alerts_process_start_time_seconds \d+/m, 'the start time too (prom-client omits it when merging)');
  t.equal([...metrics.matchAll(/^hook_alerts_pipeline_heap_bytes\{kind="used"\} (\d+)/gm)].length, 1, "the pipeline thread's heap, once");
  t.ok((metricSample(metrics, 'hook_alerts_pipeline_heap_bytes', { kind: 'used' }) ?? 0) > 1_000_000, 'a heap of megabytes');

  const health = await getJson(`${svc.url}/healthz`);
  t.match(health.json, { status: 'ok', worker: { running: true, passing: true } }, "/healthz asks the thread's worker");
  t.equal((await getJson(`${svc.url}/readyz`)).status, 200);
});

t.test("the thread's log lines reach the service's log stream", async (t) => {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const dir = t.testdir({});
  const { logger, logs, stream } = capturingLogger('warn');
  // worker.enabled: false makes the thread warn at start: a line written only by the thread.
  const svc = await startService(configFor(dir, slack, { worker: { enabled: false } }), logger, { logStream: stream });
  t.teardown(() => svc.close());
  await waitUntil("the thread's warning", () => logs.some((l) => String(l.msg).startsWith('worker.enabled is false')));
  t.pass('the warning written in the pipeline thread is in the log');
});

t.test("an error at the thread's start reaches the caller with its code and exit code", async (t) => {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const dir = t.testdir({});
  const { logger } = capturingLogger('fatal');
  // A cluster whose kubeconfig does not exist: enrichment is created in the thread and refuses to start.
  const config = configFor(dir, slack, { kubernetes: { enabled: 'true', clusters: [{ server: 'https://k.example', kubeconfig: `${dir}/missing-kubeconfig` }] } });
  const err = await startService(config, logger).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof HookAlertsError, 'a HookAlertsError, as on one thread');
  t.match(err, { code: 'HA_ERR_CONFIG_INVALID', exitCode: 1 }, 'with the code and exit code it has on one thread');
  t.match(String((err as Error).message), /missing-kubeconfig/, 'and says which file');
});

t.test('worker.thread: false keeps the pipeline on the HTTP event loop', async (t) => {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const dir = t.testdir({});
  const { logger } = capturingLogger('warn');
  const svc = await startService(configFor(dir, slack, { worker: { pollIntervalMs: 20, thread: false } }), logger);
  t.teardown(() => svc.close());
  t.notOk(svc.pipeline instanceof PipelineThread, 'no thread');
  t.equal((await postEvent(svc.url, TOKEN, failedBodyForOperation(2))).status, 202);
  await waitUntil('the Slack post', () => slack.messages.length === 1);
  t.pass('delivered inline');
});
