import t from 'tap';
import { userInfo } from 'node:os';
import { runBuiltCli } from '../../support/cli-process.js';
import { failedEvent } from '../../support/worker-harness.js';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { startServiceProcess } from '../../support/service-process.js';
import { postEvent, waitForDrain } from '../../support/service-http.js';
import { failedBodyForOperation } from '../../support/contract-bodies.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { testDatabase } from '../../support/postgres.js';
import { eventDedupeKey } from '../../../src/model/hook-event.js';

// `deliveries list` and `deliveries retry` on the built CLI, against the SQLite store in a data dir (the
// store methods behind them run on both adapters in test/support/store-suite.ts).

function env(dataDir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dataDir, HOOK_ALERTS_DATA_DIR: dataDir };
}

/** A data dir holding three deliveries, ended as dead, failed and sent (ids 1, 2, 3). */
function storeWithEndedDeliveries(dataDir: string): void {
  const store = SqliteStore.open(dataDir);
  try {
    for (const i of [1, 2, 3]) {
      const event = failedEvent(i);
      const accepted = store.acceptEvent(event, eventDedupeKey(event), 1_000);
      if (!('incidentId' in accepted)) throw new Error('not accepted');
      const [pending] = store.pendingEvents(1);
      if (pending === undefined) throw new Error('no pending event');
      store.routeEvent(pending.id, null, [], [{ incidentId: accepted.incidentId, target: `slack:C${i}`, kind: 'failed' }], 1_000);
    }
    const [dead, failed, sent] = store.claimDueDeliveries(2_000, 3, 60_000);
    store.markGivenUp(dead?.id ?? -1, 'dead', 'gave up after 1 attempts over 86400 s: HTTP 503', 3_000);
    store.markGivenUp(failed?.id ?? -1, 'failed', `Slack answered channel_not_found: ${'the channel does not exist '.repeat(5)}`, 3_000);
    store.markSent(sent?.id ?? -1, 'C3:1795618360.000100', 3_000);
  } finally {
    store.close();
  }
}

t.test('deliveries list: a table, --state, --json', async (t) => {
  const dataDir = t.testdir({});
  storeWithEndedDeliveries(dataDir);
  const [table, dead, json, none] = await Promise.all([
    runBuiltCli(t, ['deliveries', 'list'], { env: env(dataDir) }),
    runBuiltCli(t, ['deliveries', 'list', '--state', 'dead'], { env: env(dataDir) }),
    runBuiltCli(t, ['deliveries', 'list', '--json'], { env: env(dataDir) }),
    runBuiltCli(t, ['deliveries', 'list', '--state', 'in_flight'], { env: env(dataDir) }),
  ]);
  t.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  t.match(lines[0], /^ID +INCIDENT +APP +TARGET +KIND +STATE +ATTEMPTS +UPDATED +REF +LAST ERROR$/);
  t.equal(lines.length, 4, 'a header and three deliveries');
  t.match(lines[1], /^1 +inc_\S+ +\S+\/\S+ +slack:C1 +failed +dead +1 +1970-01-01T00:00:03\.000Z +- +gave up after 1 attempts/);
  t.match(lines[2], /failed +1 .*channel_not_found: the channel.*…$/, 'a long error is cut in the table');
  t.match(lines[3], /sent +1 .* C3:1795618360\.000100 +-$/);
  t.equal(dead.code, 0);
  t.equal(dead.stdout.trimEnd().split('\n').length, 2, 'only the dead one');
  t.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as Record<string, unknown>[];
  t.match(parsed, [
    { id: 1, state: 'dead', target: 'slack:C1', attempts: 1, updatedAt: '1970-01-01T00:00:03.000Z', replayedAt: null, replayedBy: null },
    { id: 2, state: 'failed', lastError: /the channel does not exist $/ },
    { id: 3, state: 'sent', ref: 'C3:1795618360.000100' },
  ]);
  t.equal(none.code, 0);
  t.equal(none.stdout, 'no in_flight deliveries\n');
});

t.test('deliveries retry: a dead or failed one is pending again with who and when; anything else is refused', async (t) => {
  const dataDir = t.testdir({});
  storeWithEndedDeliveries(dataDir);
  const run = (...args: string[]) => runBuiltCli(t, ['deliveries', 'retry', ...args], { env: env(dataDir) });
  const before = Date.now();
  const [dead, failed] = await Promise.all([run('1', '--by', 'alice'), run('2')]);
  t.equal(dead.code, 0, dead.stderr);
  t.match(dead.stdout, /^delivery 1 \(failed alert for \S+ to slack:C1\) is pending again, retried by alice at \S+Z; the running service sends it on its next poll \(attempts so far: 1\)\n$/);
  t.equal(failed.code, 0, failed.stderr);
  t.match(failed.stdout, new RegExp(`retried by ${userInfo().username} at`), 'without --by: the OS user');

  const [pending, sent, unknown, notAnId, noName] = await Promise.all([run('1'), run('3'), run('42'), run('abc'), run('1', '--by', ' ')]);
  t.equal(pending.code, 1);
  t.equal(pending.stderr, 'argocd-hook-alerts: delivery 1 is pending, it is queued already: the service sends it on its own; only dead or failed deliveries can be retried (argocd-hook-alerts deliveries list --state dead)\n');
  t.equal(sent.code, 1);
  t.match(sent.stderr, /^argocd-hook-alerts: delivery 3 is sent, it was sent: there is nothing to send again/);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /^argocd-hook-alerts: no delivery 42 in the store: argocd-hook-alerts deliveries list shows the ids/);
  t.equal(notAnId.code, 2, 'not an id: a usage error');
  t.match(notAnId.stderr, /delivery id must be a positive integer/);
  t.equal(noName.code, 2);

  const store = SqliteStore.open(dataDir);
  t.teardown(() => store.close());
  const [one, two, three] = store.listDeliveries();
  t.match(one, { state: 'pending', attempts: 1, replayedBy: 'alice' });
  t.ok((one?.replayedAt ?? 0) >= before, 'the replay time is now');
  t.match(two, { state: 'pending', replayedBy: userInfo().username });
  t.match(three, { state: 'sent', replayedBy: null });
  t.equal(store.claimDueDeliveries(Date.now(), 10, 60_000).length, 2, 'both are due now');
});

t.test('on PostgreSQL (HOOK_ALERTS_DATABASE_URL): list and retry read and write the database', async (t) => {
  const url = await testDatabase(t);
  if (url === null) return;
  const store = await PgStore.open({ url });
  t.teardown(() => store.close());
  const event = failedEvent(1);
  const accepted = await store.acceptEvent(event, eventDedupeKey(event), 1_000);
  if (!('incidentId' in accepted)) throw new Error('not accepted');
  const [pending] = await store.pendingEvents(1);
  await store.routeEvent(pending?.id ?? -1, null, [], [{ incidentId: accepted.incidentId, target: 'slack:C1', kind: 'failed' }], 1_000);
  const [claimed] = await store.claimDueDeliveries(2_000, 1, 60_000);
  await store.markGivenUp(claimed?.id ?? -1, 'dead', 'gave up', 3_000);
  const pgEnv = { ...env(t.testdir({})), HOOK_ALERTS_DATABASE_URL: url };
  const listed = await runBuiltCli(t, ['deliveries', 'list', '--state', 'dead', '--json'], { env: pgEnv });
  t.equal(listed.code, 0, listed.stderr);
  t.match(JSON.parse(listed.stdout), [{ id: claimed?.id, state: 'dead', incidentId: accepted.incidentId }]);
  const retry = await runBuiltCli(t, ['deliveries', 'retry', String(claimed?.id), '--by', 'alice'], { env: pgEnv });
  t.equal(retry.code, 0, retry.stderr);
  t.match(await store.listDeliveries(), [{ state: 'pending', replayedBy: 'alice' }], 'the replay is in the database');
});

t.test('a delivery failed by Slack channel_not_found, the channel made, retried from the CLI: the running service posts it', async (t) => {
  const dataDir = t.testdir({});
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const token = 'deliveries-test-token-0123456789';
  const serviceEnv = {
    HOOK_ALERTS_TOKEN: token,
    HOOK_ALERTS_DATA_DIR: dataDir,
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNEL: '#release-alerts',
    LOG_LEVEL: 'info',
  };
  const svc = await startServiceProcess(t, [], serviceEnv);
  t.equal((await postEvent(svc.url, token, failedBodyForOperation(1))).status, 202);
  await waitForDrain(svc.url, 'the refused delivery is given up');
  const listed = await runBuiltCli(t, ['deliveries', 'list', '--state', 'failed', '--json'], { env: env(dataDir) });
  const [failed] = JSON.parse(listed.stdout) as { id: number; lastError: string }[];
  t.match(failed, { id: 1, lastError: /channel does not exist/ }, 'failed, with the reason');
  t.equal(slack.messages.length, 0);

  slack.channels.push({ id: 'C0RELEASE1', name: 'release-alerts', member: true });
  const retry = await runBuiltCli(t, ['deliveries', 'retry', '1', '--by', 'oncall'], { env: env(dataDir) });
  t.equal(retry.code, 0, retry.stderr);
  await slack.waitFor('the retried alert is posted', () => slack.messagesIn('C0RELEASE1').length === 1);
  await waitForDrain(svc.url, 'the retried delivery is recorded as sent');
  const sent = await runBuiltCli(t, ['deliveries', 'list', '--state', 'sent', '--json'], { env: env(dataDir) });
  t.match(JSON.parse(sent.stdout), [{ id: 1, attempts: 2, replayedBy: 'oncall', lastError: null, ref: /^C0RELEASE1:/ }]);
  t.equal(slack.callsOf('chat.postMessage').length, 2, 'one refused post, one post after the retry');
  svc.child.kill('SIGTERM');
  t.equal(await svc.exited, 0);
});
