import t from 'tap';
import { SlackApiServer, type Fault } from '../support/slack-api-server.js';
import { failedEvent, slackEnv, stepThroughRetries, workerHarness, type TestLike, type WorkerHarness } from '../support/worker-harness.js';
import { metricValue } from '../support/prom-text.js';
import { rootPostsPerIncident } from '../support/slack-posts.js';
import { sampleEvent } from '../support/sample-alerts.js';
import { configSchema } from '../../src/config/schema.js';

/**
 * Slack misbehaving under the real worker, store and Slack sink: each transient fault is retried on the
 * persisted schedule (stepped with the injected clock) and the alert is posted exactly once; a permanent
 * error is not retried and says what to fix.
 */

// The worker's own send timeout is what cuts a hang (the harness sets the SDK's far above it). It is
// expired by the test once Slack holds the post, not by a timer: a send that is merely slow on a busy
// machine is never cut.
const SEND_TIMEOUT_MS = configSchema.parse({}).worker.sendTimeoutMs;

/** Run one worker pass in which Slack holds a post: expire the send's timeout once it does. */
async function passWithHeldPost(server: SlackApiServer, h: WorkerHarness): Promise<void> {
  const held = server.heldCalls('chat.postMessage');
  const pass = h.worker.runOnce();
  await server.waitFor('Slack holds the post', () => server.heldCalls('chat.postMessage') > held);
  h.sendTimeouts.expireAll();
  await pass;
}

async function slackServer(t: TestLike): Promise<SlackApiServer> {
  const server = await SlackApiServer.start();
  t.teardown(() => server.close());
  return server;
}

interface TransientCase {
  name: string;
  fault: Fault;
  times: number;
  /** The wait before each retry: Retry-After, or the backoff 2 s, 4 s, 8 s… (jitter pinned to 0). */
  delays: number[];
  error: RegExp;
  reason: 'rate_limited' | 'error';
  /** chat.postMessage calls Slack saw in all. */
  postCalls: number;
}

const transient: TransientCase[] = [
  {
    name: '429 with Retry-After: 7, twice, then OK',
    fault: { kind: 'http', status: 429, retryAfter: 7 },
    times: 2,
    delays: [7_000, 7_000],
    error: /rate limited \(HTTP 429\), Slack asks to wait 7 s/,
    reason: 'rate_limited',
    postCalls: 3,
  },
  {
    name: 'HTTP 500 three times, then OK',
    fault: { kind: 'http', status: 500 },
    times: 3,
    delays: [2_000, 4_000, 8_000],
    error: /HTTP 500 .*will retry/,
    reason: 'error',
    postCalls: 4,
  },
  {
    name: 'no answer at all (Slack stalls before posting), then OK',
    fault: { kind: 'hang' },
    times: 1,
    delays: [2_000],
    error: new RegExp(`no answer within ${SEND_TIMEOUT_MS} ms`),
    reason: 'error',
    postCalls: 2,
  },
  {
    name: 'no answer after Slack posted: the retry finds the post by its metadata',
    fault: { kind: 'hang-after' },
    times: 1,
    delays: [2_000],
    error: new RegExp(`no answer within ${SEND_TIMEOUT_MS} ms`),
    reason: 'error',
    postCalls: 1,
  },
];

for (const c of transient) {
  t.test(`Slack ${c.name}: retried on schedule, posted exactly once`, async (t) => {
    const server = await slackServer(t);
    const h = await workerHarness(t, { env: slackEnv(server) });
    server.failNext('chat.postMessage', c.fault, c.times);
    const incident = h.accept(sampleEvent('presync-job-failed'));
    if (c.fault.kind === 'hang' || c.fault.kind === 'hang-after') await passWithHeldPost(server, h);
    else await h.worker.runOnce();
    await stepThroughRetries(t, h, c.delays, c.error);
    t.equal(h.sendTimeouts.pending, 0, 'no send is left waiting');
    const [d] = h.store.listDeliveries();
    t.match(d, { state: 'sent', attempts: c.times + 1, lastError: null });
    t.same([...rootPostsPerIncident(server)], [[incident, 1]], 'one post of the incident in the channel');
    t.equal(d?.ref, `C0DEPLOYS1:${server.messages[0]?.ts ?? ''}`, 'the ref is that post');
    t.equal(server.callsOf('chat.postMessage').length, c.postCalls, 'chat.postMessage calls');
    const metrics = await h.metrics.registry.metrics();
    t.equal(metricValue(metrics, 'hook_alerts_retries_total', { sink: 'slack', reason: c.reason }), c.times, 'hook_alerts_retries_total');
    t.equal(metricValue(metrics, 'hook_alerts_deliveries_total', { sink: 'slack', outcome: 'retry' }), c.times);
    t.equal(metricValue(metrics, 'hook_alerts_deliveries_total', { sink: 'slack', outcome: 'sent' }), 1);
    t.equal(metricValue(metrics, 'hook_alerts_deliveries_total', { outcome: 'failed' }), 0);
    t.comment(`${c.name}: ${c.times + 1} attempts, ${c.times} retries, ${c.postCalls} chat.postMessage calls, 1 post`);
  });
}

const permanent = [
  { channel: '#no-such-channel', error: /Slack channel #no-such-channel: channel_not_found: .*check the channel in the routing config/ },
  { channel: '#not-a-member', error: /Slack channel #not-a-member: not_in_channel: .*invite it with \/invite/ },
];

for (const c of permanent) {
  t.test(`Slack ${c.channel}: a permanent error is not retried and says what to fix`, async (t) => {
    const server = await slackServer(t);
    const h = await workerHarness(t, { env: slackEnv(server, c.channel) });
    h.accept(sampleEvent('presync-job-failed'));
    await h.worker.runOnce();
    t.match(h.store.listDeliveries(), [{ state: 'failed', attempts: 1, lastError: c.error }]);
    for (let hour = 1; hour <= 3; hour++) {
      h.clock.now += 3_600_000;
      await h.worker.runOnce();
    }
    t.equal(h.store.listDeliveries()[0]?.attempts, 1, 'no attempt after the permanent error, hours later');
    t.equal(server.callsOf('chat.postMessage').length, 1, 'Slack was asked once');
    t.equal(server.messages.length, 0);
    const metrics = await h.metrics.registry.metrics();
    t.equal(metricValue(metrics, 'hook_alerts_deliveries_total', { sink: 'slack', outcome: 'failed' }), 1);
    t.equal(metricValue(metrics, 'hook_alerts_retries_total'), 0, 'no retry counted');
    const report = h.logs.find((l) => l.msg === 'delivery failed permanently; fix the cause named here, it will not be retried');
    t.match(report, { level: 50, target: `slack:${c.channel}`, error: c.error }, 'the log line names the cause and the fix');
  });
}

// The production path of the send timeout, a timer, on the one send it cannot depend on the machine's
// speed for: a post Slack never answers.
t.test('with the default timer, a post Slack holds is cut after worker.sendTimeoutMs', async (t) => {
  const server = await slackServer(t);
  const h = await workerHarness(t, { env: slackEnv(server), overrides: { worker: { sendTimeoutMs: 200 } }, timerSendTimeouts: true });
  server.failNext('chat.postMessage', { kind: 'hang' });
  h.accept(sampleEvent('presync-job-failed'));
  await h.worker.runOnce();
  t.match(h.store.listDeliveries(), [{ state: 'pending', attempts: 1, lastError: 'no answer within 200 ms' }]);
  t.equal(server.heldCalls('chat.postMessage'), 1, 'Slack held the post');
});

// A backlog after an outage: more posts to the channel than one history page between the lost post and
// its retry. The lookup reads from the delivery's first attempt on, every page, so it still finds it.
t.test('an unanswered post, retried after 250 newer posts in its channel', async (t) => {
  const server = await slackServer(t);
  const h = await workerHarness(t, { env: slackEnv(server) });
  server.failNext('chat.postMessage', { kind: 'hang-after' });
  const incident = h.accept(failedEvent(0));
  await passWithHeldPost(server, h);
  t.match(h.store.listDeliveries(), [{ state: 'pending', lastError: /no answer within/ }], 'Slack took the post, the worker never heard back');
  for (let i = 1; i <= 250; i++) h.accept(failedEvent(i));
  // The other alerts go out while the first one's retry waits for its backoff.
  while (h.store.queueDepth().deliveries > 1 || h.store.queueDepth().events > 0) await h.worker.runOnce();
  t.equal(rootPostsPerIncident(server).size, 251, 'the 250 others are posted');
  h.clock.now += 2_000;
  await h.worker.runOnce();
  t.equal(h.store.listDeliveries()[0]?.state, 'sent');
  t.equal(rootPostsPerIncident(server).get(incident), 1, 'posted once: the lookup reads every post since the first attempt');
});
