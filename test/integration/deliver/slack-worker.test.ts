import t from 'tap';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { slackEnv, T0, workerHarness, type TestLike, type WorkerHarness } from '../../support/worker-harness.js';
import { sampleEvent } from '../../support/sample-alerts.js';

/**
 * The Slack sink driven by the real worker and store, with an injected clock: retries and backoff are
 * the worker's persisted schedule, not real waiting.
 */

interface Harness extends WorkerHarness {
  server: SlackApiServer;
}

/** The shared worker harness (test/support/worker-harness.ts) on a Slack test server, started here unless given. */
async function harness(t: TestLike, dataDir: string, server?: SlackApiServer): Promise<Harness> {
  const slack = server ?? (await SlackApiServer.start());
  if (server === undefined) t.teardown(() => slack.close());
  return { ...(await workerHarness(t, { env: slackEnv(slack), dataDir })), server: slack };
}

t.test('Slack down for 2 minutes: the alert is delivered once it is back, exactly once', async (t) => {
  const h = await harness(t, ':memory:');
  h.server.down = true;
  h.accept(sampleEvent('presync-job-failed'));
  const attemptsWhileDown: number[] = [];
  while (h.clock.now < T0 + 120_000) {
    await h.worker.runOnce();
    attemptsWhileDown.push(h.store.listDeliveries()[0]?.attempts ?? 0);
    h.clock.now += 5_000;
  }
  const [down] = h.store.listDeliveries();
  t.equal(down?.state, 'pending', 'still pending, not dropped');
  t.match(down?.lastError, /HTTP 503/);
  const attempts = down?.attempts ?? 0;
  t.ok(attempts >= 4 && attempts <= 8, `backed off exponentially: ${attempts} attempts in 2 minutes, not 24`);
  h.server.down = false;
  h.clock.now += 60_000;
  await h.worker.runOnce();
  const [delivered] = h.store.listDeliveries();
  t.equal(delivered?.state, 'sent');
  t.equal(h.server.messages.length, 1, 'one post');
  t.equal(delivered?.ref, `C0DEPLOYS1:${h.server.messages[0]?.ts ?? ''}`);
  t.equal(h.server.callsOf('conversations.history').length, 1, 'the first attempt after the outage checked for an earlier post');
  const metrics = await h.metrics.registry.metrics();
  t.match(metrics, /hook_alerts_deliveries_total\{sink="slack",outcome="retry"\} [4-8]/);
});

t.test('Slack 429: the worker waits Retry-After, then posts once', async (t) => {
  const h = await harness(t, ':memory:');
  h.server.failNext('chat.postMessage', { kind: 'http', status: 429, retryAfter: 30 });
  h.accept(sampleEvent('presync-job-failed'));
  await h.worker.runOnce();
  t.equal(h.server.messages.length, 0);
  h.clock.now += 29_000;
  await h.worker.runOnce();
  t.equal(h.server.callsOf('chat.postMessage').length, 1, 'not before Retry-After');
  h.clock.now += 1_000;
  await h.worker.runOnce();
  t.equal(h.server.messages.length, 1);
  t.equal(h.store.listDeliveries()[0]?.state, 'sent');
});

t.test('the same event 5 times (and 2 recipients routed to one channel): one post', async (t) => {
  const h = await harness(t, ':memory:');
  for (let i = 0; i < 5; i++) h.accept(sampleEvent('presync-job-failed'));
  h.accept(sampleEvent('presync-job-failed', { recipient: 'team-db' }));
  await h.worker.runOnce();
  await h.worker.runOnce();
  t.equal(h.server.messages.length, 1);
  t.equal(h.store.listDeliveries().length, 1);
});

t.test('retry → failure → resolve land in one thread; the root shows resolved', async (t) => {
  const h = await harness(t, ':memory:');
  h.accept(sampleEvent('presync-job-retrying'));
  await h.worker.runOnce();
  h.clock.now += 60_000;
  h.accept(sampleEvent('presync-job-failed'));
  await h.worker.runOnce();
  h.clock.now += 600_000;
  h.accept({ ...sampleEvent('presync-job-failed', { event: 'sync-succeeded', receivedAt: new Date(h.clock.now) }), hooks: [] });
  await h.worker.runOnce();
  const deliveries = h.store.listDeliveries();
  t.same(deliveries.map((d) => [d.kind, d.state]), [['retrying:1', 'sent'], ['failed', 'sent'], ['resolved', 'sent']]);
  const [root, ...replies] = h.server.messages;
  t.equal(root?.thread_ts, null);
  t.same(replies.map((m) => m.thread_ts), [root?.ts, root?.ts], 'both later messages are in the root’s thread');
  t.equal(root?.edited, true);
  t.match(JSON.stringify(root?.blocks), /RESOLVED · /);
});

t.test('killed during delivery (Slack posted, the ts not stored): restart posts nothing twice', async (t) => {
  const dataDir = t.testdir({});
  const server = await SlackApiServer.start();
  t.teardown(() => server.close());
  const first = await harness(t, dataDir, server);
  first.accept(sampleEvent('presync-job-failed'));
  // Slack takes the post and the process dies before it hears back: simulate by a hanging answer and
  // closing the store while the delivery is in flight.
  server.failNext('chat.postMessage', { kind: 'hang-after' });
  const pass = first.worker.runOnce();
  await server.waitFor('Slack holds the post', () => server.heldCalls('chat.postMessage') > 0);
  t.equal(first.store.listDeliveries()[0]?.state, 'in_flight');
  first.store.close();
  // The send times out into a closed store: the pass reports that it cannot record the outcome.
  first.sendTimeouts.expireAll();
  await pass;

  const second = await harness(t, dataDir, server);
  second.clock.now = T0 + 1_000;
  second.worker.start();
  await second.worker.stop();
  await second.worker.runOnce();
  const [d] = second.store.listDeliveries();
  t.equal(d?.state, 'sent', 'delivered after the restart');
  t.equal(server.messages.length, 1, 'exactly one post');
  t.equal(d?.ref, `C0DEPLOYS1:${server.messages[0]?.ts ?? ''}`, 'the earlier post’s ts is recorded');
  t.equal(server.callsOf('chat.postMessage').length, 1, 'no second chat.postMessage at all');
});

t.test('a delivery dead of age, replayed: its age counts from the replay, so a failed attempt is retried, then it is posted', async (t) => {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const maxAgeMs = 60_000;
  const h = await workerHarness(t, {
    env: slackEnv(slack),
    overrides: { worker: { retry: { initialDelayMs: 2_000, maxDelayMs: 30_000, factor: 2, maxAgeMs } } },
  });
  slack.down = true;
  h.accept(sampleEvent('presync-job-failed'));
  for (let i = 0; i < 100 && h.store.listDeliveries()[0]?.state !== 'dead'; i++) {
    await h.worker.runOnce();
    h.clock.now += 5_000;
  }
  const [dead] = h.store.listDeliveries();
  t.match(dead, { state: 'dead', lastError: /^gave up after \d+ attempts/ }, 'dead once it outlived worker.retry.maxAgeMs');
  const attempts = dead?.attempts ?? 0;

  h.clock.now += 3_600_000;
  t.match(h.store.replayDelivery(dead?.id ?? -1, 'oncall', h.clock.now), { status: 'replayed' });
  await h.worker.runOnce();
  t.match(h.store.listDeliveries()[0], { state: 'pending', attempts: attempts + 1, lastError: /HTTP 503/ }, 'Slack still down: retried, not dead again at once');
  slack.down = false;
  // Its backoff goes on from the attempts it had: the longest delay by now.
  h.clock.now += 30_000;
  await h.worker.runOnce();
  t.match(h.store.listDeliveries()[0], { state: 'sent', replayedBy: 'oncall' });
  t.equal(slack.messages.length, 1, 'posted once');
});
