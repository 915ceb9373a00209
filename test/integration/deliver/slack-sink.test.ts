import t from 'tap';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { SlackSink, parseSlackRef } from '../../../src/deliver/slack-sink.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import type { DeliveryContext, SinkOutcome } from '../../../src/model/sink.js';
import type { Alert } from '../../../src/model/alert.js';
import { reportWithLog, resolvedAlert, sampleAlert, SAMPLE_FINDING } from '../../support/sample-alerts.js';
import type { JsonObject } from '../../../src/config/load-config.js';

const logger = createLogger('silent');

/** The part of tap's Test the helpers use. */
interface TestLike {
  teardown(fn: () => unknown): void;
  fail(message: string): boolean;
}

async function setup(t: TestLike, overrides: JsonObject = {}, token?: string): Promise<{ server: SlackApiServer; sink: SlackSink }> {
  const server = await SlackApiServer.start();
  t.teardown(() => server.close());
  return { server, sink: sinkOn(t, server, overrides, token) };
}

/** A Slack sink on the test server; its request timeout only bounds a hang unless `overrides` set it. */
function sinkOn(t: TestLike, server: SlackApiServer, overrides: JsonObject = {}, token?: string): SlackSink {
  const config = loadConfig({
    env: { SLACK_BOT_TOKEN: token ?? server.token, SLACK_API_URL: server.apiUrl, SLACK_CHANNEL: '#deploys' },
    overrides: { slack: { requestTimeoutMs: 120_000 }, ...overrides },
  });
  const sink = SlackSink.fromConfig(config.slack, { logger });
  t.teardown(() => sink.close());
  return sink;
}

let nextId = 1;
function ctx(alert: Alert, over: Partial<DeliveryContext> = {}): DeliveryContext {
  return { deliveryId: nextId++, address: '#deploys', attempt: 1, alert, threadRootRef: null, resumed: false, route: { mentions: [], logs: true }, ...over, firstAttemptAt: over.firstAttemptAt ?? Date.now() };
}

function sentRef(t: TestLike, outcome: SinkOutcome): string {
  if (outcome.status !== 'sent' || outcome.ref === null) {
    t.fail(`expected sent, got ${JSON.stringify(outcome)}`);
    return '';
  }
  return outcome.ref;
}

t.test('first alert is posted with metadata; its ref is channel id and ts', async (t) => {
  const { server, sink } = await setup(t);
  const alert = sampleAlert('presync-job-failed', { findings: [SAMPLE_FINDING] });
  const ref = sentRef(t, await sink.send(ctx(alert)));
  const posted = server.messagesIn('C0DEPLOYS1');
  t.equal(posted.length, 1);
  const msg = posted[0];
  if (msg === undefined) return;
  t.equal(ref, `C0DEPLOYS1:${msg.ts}`);
  t.same(msg.metadata, { event_type: 'argocd_hook_alert', event_payload: { incident: alert.incidentId, kind: 'failed' } });
  t.equal(msg.thread_ts, null);
  t.match(msg.text, /\[FAILED\] payments-api: PreSync hook db-migrate failed \(exit 1, BackoffLimitExceeded\)/);
  const post = server.callsOf('chat.postMessage')[0];
  t.equal(post?.params.unfurl_links, 'false', 'links from logs are not unfurled');
});

t.test('retry, stuck and resolve go into the first message’s thread; resolve updates the root', async (t) => {
  const { server, sink } = await setup(t);
  const first = sampleAlert('presync-job-retrying');
  t.equal(first.deliveryKind, 'retrying:1');
  const root = sentRef(t, await sink.send(ctx(first)));
  const rootTs = parseSlackRef(root)?.ts;

  const failed = { ...sampleAlert('presync-job-failed'), incidentId: first.incidentId };
  t.same(await sink.send(ctx(failed, { threadRootRef: root })), { status: 'sent', ref: `C0DEPLOYS1:${server.messages.at(-1)?.ts ?? ''}` });
  const reply = server.messages.at(-1);
  t.equal(reply?.thread_ts, rootTs, 'the final failure replies in the thread');
  t.equal(reply?.reply_broadcast, true, 'and is broadcast to the channel: Argo CD gave up');

  const resolved = resolvedAlert(first.incidentId);
  sentRef(t, await sink.send(ctx(resolved, { threadRootRef: root })));
  const resolvedReply = server.messages.at(-1);
  t.equal(resolvedReply?.thread_ts, rootTs, 'the resolution replies in the thread');
  t.same(resolvedReply?.metadata?.event_payload, { incident: first.incidentId, kind: 'resolved' });
  const rootMsg = server.messages.find((m) => m.ts === rootTs);
  t.equal(rootMsg?.edited, true, 'the first message was updated');
  t.match(JSON.stringify(rootMsg?.blocks[0]), /RESOLVED · \[RETRYING\] payments-api/);
  t.match(rootMsg?.text, /^RESOLVED · /);
  t.equal(server.messages.filter((m) => m.thread_ts === null).length, 1, 'one top-level message for the incident');

  // The worker retries a resolve whose reply failed: the update is idempotent.
  sentRef(t, await sink.send(ctx(resolved, { threadRootRef: root, attempt: 2 })));
  t.equal(JSON.stringify(rootMsg?.blocks).match(/RESOLVED · /g)?.length, 1, 'RESOLVED once in the header');
  t.equal(server.messages.filter((m) => m.metadata?.event_payload.kind === 'resolved').length, 1, 'the retried resolve found its reply');
});

t.test('permanent Slack errors fail with what to fix', async (t) => {
  const { sink } = await setup(t);
  const alert = sampleAlert('presync-job-failed');
  const missing = await sink.send(ctx(alert, { address: '#no-such-channel' }));
  t.equal(missing.status, 'failed');
  t.match(missing, { error: /channel_not_found: .*routing config/ });
  const notMember = await sink.send(ctx(alert, { address: 'C0NOTMEMB1' }));
  t.match(notMember, { status: 'failed', error: /not_in_channel: .*\/invite/ });
});

t.test('an invalid token fails and says to check SLACK_BOT_TOKEN', async (t) => {
  const { sink } = await setup(t, {}, 'xoxb-wrong');
  t.match(await sink.send(ctx(sampleAlert('presync-job-failed'))), { status: 'failed', error: /invalid_auth: .*SLACK_BOT_TOKEN/ });
});

t.test('429 comes back at once with Retry-After; 5xx and network errors are retryable', async (t) => {
  const { server, sink } = await setup(t);
  const alert = sampleAlert('presync-job-failed');
  server.failNext('chat.postMessage', { kind: 'http', status: 429, retryAfter: 7 });
  t.same(await sink.send(ctx(alert)), {
    status: 'retryable',
    retryInMs: 7000,
    error: 'Slack channel #deploys: rate limited (HTTP 429), Slack asks to wait 7 s',
  });
  t.equal(server.callsOf('chat.postMessage').length, 1, 'the SDK did not retry on its own');
  sentRef(t, await sink.send(ctx(alert, { attempt: 2 })));
  t.equal(server.messages.length, 1, 'posted once after the rate limit');

  server.failNext('chat.postMessage', { kind: 'http', status: 500 });
  t.match(await sink.send(ctx(sampleAlert('presync-job-retrying'))), { status: 'retryable', error: /HTTP 500/ });
  server.failNext('chat.postMessage', { kind: 'error', error: 'internal_error' });
  t.match(await sink.send(ctx(sampleAlert('presync-job-retrying'))), { status: 'retryable', error: /internal_error/ });

  const url = server.apiUrl;
  await server.close();
  const config = loadConfig({ env: { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: url, SLACK_CHANNEL: '#deploys' } });
  const offline = SlackSink.fromConfig(config.slack, { logger });
  t.match(await offline.send(ctx(alert)), { status: 'retryable', error: /cannot reach the Slack API/ });
});

t.test('an answer lost after Slack posted: the retry finds the post instead of posting again', async (t) => {
  const { server, sink } = await setup(t);
  // The first attempt's client gives up on the post Slack holds after 300 ms; the retry's has the usual
  // bound, so that its lookup, slowed down on a busy machine, is not cut as well.
  const impatient = sinkOn(t, server, { slack: { requestTimeoutMs: 300 } });
  const alert = sampleAlert('presync-job-failed');
  server.failNext('chat.postMessage', { kind: 'hang-after' });
  const first = await impatient.send(ctx(alert));
  t.equal(first.status, 'retryable', 'the timeout is retryable');
  t.equal(server.messages.length, 1, 'Slack has the message');
  const ref = sentRef(t, await sink.send(ctx(alert, { attempt: 2 })));
  t.equal(ref, `C0DEPLOYS1:${server.messages[0]?.ts ?? ''}`, 'the earlier post is the ref');
  t.equal(server.messages.length, 1, 'no second post');
  t.equal(server.callsOf('conversations.history')[0]?.params.include_all_metadata, 'true');
  t.equal(server.callsOf('conversations.list').length, 1, 'the channel name was resolved to its id');
});

t.test('a resumed delivery (crash before the ts was stored) does not post twice, in a thread too', async (t) => {
  const { server, sink } = await setup(t);
  const first = sampleAlert('presync-job-retrying');
  const root = sentRef(t, await sink.send(ctx(first)));
  const stuck = { ...sampleAlert('presync-job-retrying', { event: 'hook-failed' }), incidentId: first.incidentId };
  sentRef(t, await sink.send(ctx(stuck, { threadRootRef: root })));
  t.equal(server.messages.length, 2);
  // The process died after Slack answered: the same delivery comes back resumed.
  const again = await sink.send(ctx(stuck, { threadRootRef: root, resumed: true }));
  t.equal(server.messages.length, 2, 'no duplicate reply');
  t.same(again, { status: 'sent', ref: `C0DEPLOYS1:${server.messages[1]?.ts ?? ''}` });
  t.equal(server.callsOf('conversations.replies').length, 1, 'looked in the thread');
  // A resumed delivery that had not posted yet posts now.
  const other = sampleAlert('multi-source-two-failed-hooks');
  sentRef(t, await sink.send(ctx(other, { resumed: true })));
  t.equal(server.messages.length, 3);
});

t.test('300 KB of hostile logs: valid for Slack, escaped, fenced, full log uploaded in the thread', async (t) => {
  const { server, sink } = await setup(t);
  const base = sampleAlert('tricky-strings');
  const hostile = [
    'line with ``` fences ``` and `inline`',
    '<!channel> <!here> <@U123> <http://evil.example|click here> & &amp; <b>html</b> <script>alert(1)</script>',
    'emoji 🚀🔥 and ünïcødé',
    '````',
  ];
  const lines: string[] = [];
  let size = 0;
  while (size < 300 * 1024) {
    const line = `${lines.length} ${hostile[lines.length % hostile.length] ?? ''}`;
    lines.push(line);
    size += line.length + 1;
  }
  lines.push('FATAL: the last line ``` <!channel>');
  const log = `${lines.join('\n')}\n`;
  const alert: Alert = { ...base, report: reportWithLog(base, log) };
  const ref = sentRef(t, await sink.send(ctx(alert)));
  const [msg, fileMsg] = server.messages;
  if (msg === undefined) return t.fail('nothing posted');
  t.equal(ref, `C0DEPLOYS1:${msg.ts}`, 'the ref is the alert, not the file message');
  const json = JSON.stringify(msg.blocks) + msg.text;
  t.notMatch(json, /<!channel>|<!here>|<@U123>|<http:\/\/evil/, 'no mention or link injection anywhere');
  t.match(json, /&lt;!channel&gt;/);
  t.ok(msg.blocks.length <= 50);
  const code = msg.blocks
    .map((b) => JSON.stringify(b))
    .filter((b) => b.includes('```'));
  t.ok(code.length >= 1, 'the log tail is in a code block');
  for (const block of msg.blocks) {
    const text = (block as { text?: { text?: string } }).text?.text ?? '';
    if (!text.startsWith('```')) continue;
    t.ok(text.length <= 3000, `section text ${text.length} <= 3000`);
    const inner = text.slice(3, -3);
    t.notMatch(inner, /```/, 'the log cannot close its code block');
    t.match(inner, /FATAL: the last line/, 'the tail is what is shown');
  }
  t.equal(fileMsg?.thread_ts, msg.ts, 'the whole log went into the thread');
  t.equal(fileMsg?.files[0]?.content, log, 'byte for byte');
  t.match(fileMsg?.files[0]?.filename, /\.log$/);
});

t.test('route options as given: the mentions lead the message, logs: false leaves the log body out', async (t) => {
  const { server, sink } = await setup(t);
  const first = sampleAlert('presync-job-retrying');
  const root = sentRef(t, await sink.send(ctx(first, { route: { mentions: ['<!subteam^S0PAYMENTS>'], logs: false } })));
  const rootMsg = server.messages[0];
  t.match(rootMsg?.text, /^<!subteam\^S0PAYMENTS> /, 'the group is mentioned');
  t.notMatch(JSON.stringify(rootMsg?.blocks), /```/, 'no log body');
  t.match(JSON.stringify(rootMsg?.blocks), /kubectl logs -n payments db-migrate-x7k2p -c migrate/);
  sentRef(t, await sink.send(ctx({ ...sampleAlert('presync-job-failed'), incidentId: first.incidentId }, { threadRootRef: root, route: { mentions: [], logs: true } })));
  t.notMatch(server.messages[1]?.text, /subteam/, 'no mentions given, none sent');
  t.match(JSON.stringify(server.messages[1]?.blocks), /```/, 'logs given, the log body is there');
});
