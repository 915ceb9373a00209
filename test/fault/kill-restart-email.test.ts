/**
 * The crash window of an email (docs/design.md, "Crash windows"), at each of its kill points, with the
 * built service (`npm run build` first) SIGKILLed at an exact step of the SMTP transaction: the SMTP test
 * server holds its reply at a stage, or the store refuses to mark the delivery sent, and the test kills
 * then. After the restart the queue drains and the test counts the copies of the mail the server took.
 */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { REPO_ROOT, failedBodyForOperation } from '../support/contract-bodies.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { postEvent, waitForDrain, waitUntil } from '../support/service-http.js';
import { emailEnv } from '../support/worker-harness.js';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.js';

const TOKEN = 'kill-restart-email-token-0123456789';
const STORE_REFUSED = 'cannot record a delivery outcome in the store; it is retried when its lease (worker.leaseMs) runs out: check the data volume';
const ACCEPTED_BEFORE = 'the SMTP server accepted this email before the process stopped (answer recorded); not sending it again';
const NO_DATA_BEFORE = /^resending an email that was in flight when the process stopped: it had not been handed to the SMTP server/;
const MAYBE_DUPLICATE = /^resending an email that was in flight when the process stopped: it was handed to the SMTP server \(DATA\) and no answer was recorded/;
const OLD_RESEND = 'resending an email that was in flight when the process stopped';

if (!existsSync(join(REPO_ROOT, 'dist/src/cli.js'))) throw new Error('dist/src/cli.js is missing: run `npm run build` first');

interface Run {
  server: SmtpTestServer;
  dataDir: string;
  start: () => Promise<ServiceProcess>;
}

async function setup(t: Test, recordAttempts = true): Promise<Run> {
  const server = await SmtpTestServer.start();
  t.teardown(() => server.close());
  const dataDir = t.testdir();
  const config = join(dataDir, 'config.yaml');
  // YAML is a superset of JSON. Timeouts only bound a hang: the kill, not a timer, ends the held send.
  const settings = {
    kubernetes: { enabled: 'false' },
    email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000, recordAttempts },
    worker: { pollIntervalMs: 20, sendTimeoutMs: 150_000 },
  };
  writeFileSync(config, JSON.stringify(settings, null, 2));
  const env = { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...emailEnv(server) };
  return { server, dataDir, start: () => startServiceProcess(t, ['--config', config], env, { built: true }) };
}

async function kill(svc: ServiceProcess): Promise<void> {
  svc.child.kill('SIGKILL');
  await svc.exited;
}

/** Restart, drain, stop; returns the Message-IDs the server took and the second process's log messages. */
async function restartAndDrain(t: Test, run: Run): Promise<{ messageIds: (string | undefined)[]; messages: unknown[] }> {
  const svc = await run.start();
  await waitForDrain(svc.url, 'the restarted service delivers');
  svc.child.kill('SIGTERM');
  t.equal(await svc.exited, 0, 'SIGTERM exits 0');
  const store = SqliteStore.open(run.dataDir);
  const deliveries = store.listDeliveries();
  store.close();
  t.same(deliveries.map((d) => d.state), ['sent'], 'one delivery, sent');
  t.equal(deliveries[0]?.ref, run.server.mails[0]?.parsed.messageId, 'its ref is the Message-ID');
  return { messageIds: run.server.mails.map((m) => m.parsed.messageId), messages: svc.logs.map((l) => l.msg) };
}

async function post(svc: ServiceProcess): Promise<void> {
  const res = await postEvent(svc.url, TOKEN, failedBodyForOperation(1));
  if (res.status !== 202) throw new Error(`the event was not accepted: ${res.status}`);
}

t.test('killed before DATA (the server holds the AUTH reply): sent once after the restart, known to be no duplicate', async (t) => {
  const run = await setup(t);
  const first = await run.start();
  const held = run.server.holdNext('auth');
  await post(first);
  await held;
  await kill(first);
  t.equal(run.server.mails.length, 0, 'nothing was handed over');
  const { messageIds, messages } = await restartAndDrain(t, run);
  t.equal(messageIds.length, 1, 'the mail arrived once');
  t.ok(messages.some((m) => typeof m === 'string' && NO_DATA_BEFORE.test(m)), 'the restart knows the server never got it');
});

t.test('killed after DATA, before the answer (the server has the message and holds its 250): sent again, same Message-ID (the window that remains)', async (t) => {
  const run = await setup(t);
  const first = await run.start();
  const held = run.server.holdNext('data-end');
  await post(first);
  await held;
  await kill(first);
  t.equal(run.server.mails.length, 1, 'the server has the message');
  const { messageIds, messages } = await restartAndDrain(t, run);
  t.equal(messageIds.length, 2, 'it arrived twice: no answer was recorded, so it is sent again rather than lost');
  t.equal(messageIds[0], messageIds[1], 'with the same Message-ID, which mail systems deduplicate on');
  t.ok(messages.some((m) => typeof m === 'string' && MAYBE_DUPLICATE.test(m)), 'the restart says it may be a duplicate');
});

/** The store refuses to mark a delivery sent, so the process holds still between the answer and the record. */
function refuseMarkSent(dataDir: string): () => void {
  const db = new Database(join(dataDir, DATABASE_FILE));
  db.exec(`CREATE TRIGGER test_refuse_sent BEFORE UPDATE OF state ON deliveries WHEN NEW.state = 'sent'
           BEGIN SELECT RAISE(ABORT, 'test: the store refuses to mark deliveries sent'); END`);
  return () => {
    db.exec('DROP TRIGGER test_refuse_sent');
    db.close();
  };
}

for (const recordAttempts of [true, false]) {
  const what = recordAttempts
    ? 'killed after the 250 answer, before the delivery was marked sent: the restart records it sent without sending again'
    : 'the same kill with email.recordAttempts off (the old behaviour): sent twice';
  t.test(what, async (t) => {
    const run = await setup(t, recordAttempts);
    const first = await run.start();
    const allow = refuseMarkSent(run.dataDir);
    await post(first);
    await waitUntil('the store refused to mark the delivery sent', () => first.logs.some((l) => l.msg === STORE_REFUSED));
    await kill(first);
    allow();
    t.equal(run.server.mails.length, 1, 'the server took it and answered 250');
    const { messageIds, messages } = await restartAndDrain(t, run);
    if (recordAttempts) {
      t.equal(messageIds.length, 1, 'the mail arrived once');
      t.ok(messages.includes(ACCEPTED_BEFORE), 'the restart found the recorded answer');
    } else {
      t.equal(messageIds.length, 2, 'the mail arrived twice');
      t.ok(messages.includes(OLD_RESEND), 'the restart resent it blindly');
    }
  });
}
