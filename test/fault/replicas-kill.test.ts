import t from 'tap';
import { SlackApiServer } from '../support/slack-api-server.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { failedBodyForOperation } from '../support/contract-bodies.js';
import { waitForDrain, waitUntil } from '../support/service-http.js';
import { rootPostsPerIncident } from '../support/slack-posts.js';
import { emailEnv, slackEnv } from '../support/worker-harness.js';
import { testDatabase } from '../support/postgres.js';
import { ReplicaSet } from '../support/replica-set.js';

/**
 * Two replicas on one PostgreSQL database, posted to in turn, deliver to Slack and email while one of
 * them is SIGKILLed mid-burst with a Slack post in its crash window, then started again. Every accepted
 * event is delivered; no Slack post is made twice (a lease left by the dead replica is taken over after
 * it expires, and the crash-window lookup finds the post it made); an email may arrive twice only in
 * the window SMTP leaves (the server took the message, the answer was lost), with the same Message-ID.
 */

const TOKEN = 'replicas-kill-token-0123456789';
const TOTAL = 400;
const CONCURRENCY = 8;
const FOUND_EARLIER_POST = 'found this delivery’s earlier Slack post; not posting again';

t.test('2 replicas on PostgreSQL, one SIGKILLed mid-burst and restarted: nothing lost, no Slack post twice', async (t) => {
  const databaseUrl = await testDatabase(t);
  if (databaseUrl === null) return;
  const slack = await SlackApiServer.start({ channels: [{ id: 'C0REPLICAS', name: 'deploys', member: true }] });
  t.teardown(() => slack.close());
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  // The lease outlives a send (its timeout bounds it) so that a live replica's send is never taken over;
  // the dead replica's leases are taken over once they run out.
  const config = {
    kubernetes: { enabled: 'false' },
    slack: { requestTimeoutMs: 10_000 },
    worker: { pollIntervalMs: 20, leaseMs: 20_000, sendTimeoutMs: 15_000, retry: { initialDelayMs: 200, maxDelayMs: 1_000 } },
  };
  const dir = t.testdir({ 'config.yaml': JSON.stringify(config, null, 2) });
  const replicas = await ReplicaSet.start(t, 2, ['--config', `${dir}/config.yaml`], (slot) => ({
    HOOK_ALERTS_TOKEN: TOKEN,
    HOOK_ALERTS_DATA_DIR: `${dir}/data-${slot}`,
    HOOK_ALERTS_DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'info',
    ...slackEnv(slack, '#deploys'),
    ...emailEnv(smtp),
  }), { built: true });

  const queue = Array.from({ length: TOTAL }, (_, i) => i);
  const incidentOf = new Map<number, string>();
  const poster = async (): Promise<void> => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const answer = await replicas.deliver(TOKEN, failedBodyForOperation(i, `svc-${i % 7}`));
      if (answer.status !== 202 || typeof answer.json.incident !== 'string') {
        throw new Error(`event ${i} was refused: ${answer.status} ${JSON.stringify(answer.json)}`);
      }
      incidentOf.set(i, answer.json.incident);
    }
  };
  const posting = Promise.all(Array.from({ length: CONCURRENCY }, poster));

  const rootPosts = (): number => slack.messages.filter((m) => m.thread_ts === null).length;
  await waitUntil('a third of the events accepted and some delivered', () => incidentOf.size >= TOTAL / 3 && rootPosts() >= 20, {
    intervalMs: 5,
    progress: () => incidentOf.size + rootPosts(),
  });
  // Slack takes the next posts and never answers: whichever replica made them, the kill finds one of
  // them in its crash window or the other replica's send times out and is retried.
  const held = slack.heldCalls('chat.postMessage');
  slack.failNext('chat.postMessage', { kind: 'hang-after' }, 2);
  await slack.waitFor('Slack holds a post', () => slack.heldCalls('chat.postMessage') > held);
  slack.clearFaults();
  await replicas.kill(0);
  t.pass(`replica 0 killed at ${incidentOf.size} accepted, ${rootPosts()} posted`);
  await waitUntil('two thirds accepted by the replica left', () => incidentOf.size >= (2 * TOTAL) / 3, { progress: () => incidentOf.size });
  await replicas.restart(0);
  await posting;
  const survivor = replicas.replica(1);
  if (survivor === null) throw new Error('replica 1 went down');
  await waitForDrain(survivor.url, 'the replicas deliver everything accepted');

  const incidents = new Set(incidentOf.values());
  t.equal(incidentOf.size, TOTAL, 'every event got a 202');
  t.equal(incidents.size, TOTAL, 'one incident per event');
  const posts = rootPostsPerIncident(slack);
  t.same([...incidents].filter((i) => !posts.has(i)), [], 'no accepted event left without its Slack post');
  t.same([...posts].filter(([, n]) => n > 1), [], 'no Slack post twice');
  const mailsById = new Map<string, number>();
  for (const m of smtp.mails) mailsById.set(m.parsed.messageId ?? '', (mailsById.get(m.parsed.messageId ?? '') ?? 0) + 1);
  t.equal(mailsById.size, TOTAL, 'one distinct email per event');
  const twice = [...mailsById.values()].filter((n) => n > 1).length;
  // A replica sends 8 at a time: only a send cut between the end of DATA and the server's answer can repeat.
  t.ok(twice <= 8, `emails twice (same Message-ID): ${twice}, at most the 8 sends a replica has in flight`);
  const found = replicas.started.flatMap((p) => p.logs).filter((l) => l.msg === FOUND_EARLIER_POST).length;
  t.ok(found >= 1, `the held post was found by its metadata, not posted again (${found} found)`);
  t.same(await replicas.stop(), [0, 0], 'both replicas exit 0 on SIGTERM');
});
