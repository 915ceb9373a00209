import t from 'tap';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from '../../support/service-process.js';
import { failedBodyForOperation } from '../../support/contract-bodies.js';
import { waitForDrain } from '../../support/service-http.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const TOKEN = 'restart-test-token-0123456789';

async function post(svc: ServiceProcess, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${svc.url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function outbox(dataDir: string): Map<string, string[]> {
  const dir = join(dataDir, 'outbox');
  const result = new Map<string, string[]>();
  let incidents: string[] = [];
  try {
    incidents = readdirSync(dir);
  } catch {
    return result;
  }
  for (const incident of incidents) {
    if (!statSync(join(dir, incident)).isDirectory()) continue;
    result.set(incident, readdirSync(join(dir, incident)).filter((f) => !f.endsWith('.tmp')).sort());
  }
  return result;
}

async function stop(svc: ServiceProcess): Promise<number | string> {
  svc.child.kill('SIGTERM');
  return svc.exited;
}

t.test('events accepted before a SIGKILL are each delivered exactly once after restart', async (t) => {
  const dataDir = t.testdir({});
  const intakeOnly = join(dataDir, 'intake-only.yaml');
  writeFileSync(intakeOnly, 'worker:\n  enabled: false\n');
  const env = { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dataDir, LOG_LEVEL: 'info' };

  const first = await startServiceProcess(t, ['--config', intakeOnly], env);
  const incidents = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const res = await post(first, failedBodyForOperation(i));
    t.equal(res.status, 202);
    incidents.add(String(res.json.incident));
  }
  t.equal(incidents.size, 20);
  first.child.kill('SIGKILL');
  t.equal(await first.exited, 'SIGKILL');
  t.equal(outbox(dataDir).size, 0, 'nothing was delivered before the kill');

  const second = await startServiceProcess(t, [], env);
  await waitForDrain(second.url);
  const box = outbox(dataDir);
  t.same([...box.keys()].sort(), [...incidents].sort(), 'every accepted incident was delivered');
  for (const [incident, files] of box) {
    t.equal(files.length, 2, `${incident}: one Slack JSON and one .eml`);
    t.ok(files.some((f) => f.endsWith('-failed.slack.json')) && files.some((f) => f.endsWith('-failed.eml')));
  }
  t.equal(await stop(second), 0, 'SIGTERM exits 0');

  const store = SqliteStore.open(dataDir);
  t.teardown(() => store.close());
  const deliveries = store.listDeliveries();
  t.equal(deliveries.length, 20, 'one delivery per (incident, target, kind)');
  t.ok(deliveries.every((d) => d.state === 'sent' && d.attempts === 1), 'each sent once, on the first attempt');
});

t.test('SIGKILL at random points while delivering loses nothing and publishes nothing twice', async (t) => {
  const dataDir = t.testdir({});
  const env = { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const accepted = new Set<string>();
  let next = 0;
  let attempted = 0;
  for (let round = 0; round < 3; round++) {
    const svc = await startServiceProcess(t, [], env);
    // Killed while the POST after a random number of accepted ones is in flight (and the worker delivers
    // those): a point in the run, not a moment on the clock, so that a slow machine still gets there.
    const killAt = 1 + Math.floor(Math.random() * 29);
    for (let i = 0; i < 30; i++) {
      attempted++;
      const sent = post(svc, failedBodyForOperation(next + i));
      if (i === killAt) svc.child.kill('SIGKILL');
      const res = await sent.catch(() => null);
      if (res === null) break; // the process was killed mid-request: not accepted, Argo CD would retry
      if (res.status === 202) accepted.add(String(res.json.incident));
    }
    svc.child.kill('SIGKILL');
    await svc.exited;
    next += 30;
  }
  const last = await startServiceProcess(t, [], env);
  await waitForDrain(last.url);
  const box = outbox(dataDir);
  for (const incident of accepted) {
    const files = box.get(incident) ?? [];
    t.equal(files.length, 2, `${incident} delivered exactly once (one .slack.json, one .eml)`);
  }
  // A request cut by the kill after its commit but before its 202 is delivered too (Argo CD would have
  // retried it and been told "duplicate"), so the outbox may hold more than the 202s counted here.
  t.ok(box.size >= accepted.size && box.size <= attempted, 'nothing delivered that was never sent');
  for (const [incident, files] of box) t.equal(files.length, 2, `${incident} published once`);
  t.equal(await stop(last), 0);
  const store = SqliteStore.open(dataDir);
  t.teardown(() => store.close());
  const deliveries = store.listDeliveries();
  t.equal(deliveries.length, box.size, 'one delivery per delivered incident');
  t.ok(deliveries.every((d) => d.state === 'sent'));
});
