import t from 'tap';
import { capturingLogger } from '../../support/log-capture.js';
import { buildTestApp, AUTH } from '../../support/intake-app.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, appFixtureNames, contractBody, loadApplication, loadExpectations, renderedBody } from '../../support/contract-bodies.js';

const failed = (): Record<string, unknown> => contractBody(loadApplication('presync-job-failed'), 'hook-failed');

t.test('a hook-failed event is accepted with 202 and an incident id; a repeat is a duplicate', async (t) => {
  const { app, store } = buildTestApp();
  t.teardown(() => app.close());
  const first = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failed() });
  t.equal(first.statusCode, 202);
  const body = first.json<{ incident: string; duplicate: boolean }>();
  t.match(body.incident, /^inc_[0-9a-f]{20}$/);
  t.equal(body.duplicate, false);
  const again = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failed() });
  t.same(again.json(), { incident: body.incident, duplicate: true });
  t.same(store.queueDepth(), { events: 1, deliveries: 0 }, 'the repeat stored nothing');
});

t.test('another recipient of the same event is a new event of the same incident', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const a = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failed() });
  const b = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: AUTH,
    payload: contractBody(loadApplication('presync-job-failed'), 'hook-failed', 'team-db'),
  });
  t.equal(b.json<{ incident: string }>().incident, a.json<{ incident: string }>().incident);
  t.equal(b.json<{ duplicate: boolean }>().duplicate, false);
});

t.test('authentication', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const none = await app.inject({ method: 'POST', url: '/v1/argocd/events', payload: failed() });
  t.equal(none.statusCode, 401);
  t.equal(none.json<{ error: string }>().error, 'HA_ERR_AUTH_MISSING');
  const wrong = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: { authorization: 'Bearer not-the-token-at-all' },
    payload: failed(),
  });
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json<{ error: string }>().error, 'HA_ERR_AUTH_INVALID');
  t.notMatch(wrong.body, /not-the-token/, 'the presented token is not echoed');
});

t.test('missing and mistyped fields are 400 naming each field', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const body = failed();
  delete body.version;
  body.event = 'hook-exploded';
  body.app = { name: 42 };
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: body });
  t.equal(res.statusCode, 400);
  const json = res.json<{ error: string; message: string; issues: { path: string }[] }>();
  t.equal(json.error, 'HA_ERR_BODY_INVALID');
  const paths = json.issues.map((i) => i.path).sort();
  t.same(paths, ['app.name', 'app.namespace', 'event', 'version']);
  for (const p of paths) t.match(json.message, p, `message names ${p}`);
});

t.test('a hook event without operationState is 400', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const body = failed();
  body.operationState = null;
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: body });
  t.equal(res.statusCode, 400);
  t.equal(res.json<{ issues: { path: string }[] }>().issues[0]?.path, 'operationState');
});

t.test('unknown extra fields are accepted (forward compatibility)', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const body = { ...failed(), futureField: { anything: [1, 2] } };
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: body });
  t.equal(res.statusCode, 202);
});

t.test('non-JSON is 415, malformed JSON is 400, unknown routes are 404, all as JSON errors', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const text = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: { ...AUTH, 'content-type': 'text/plain' },
    payload: 'hello',
  });
  t.equal(text.statusCode, 415);
  t.equal(text.json<{ error: string }>().error, 'HA_ERR_BODY_NOT_JSON');
  const broken = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: { ...AUTH, 'content-type': 'application/json' },
    payload: '{"version": 1, "event": "hook-failed", "app": {"name": "a"',
  });
  t.equal(broken.statusCode, 400);
  t.equal(broken.json<{ error: string }>().error, 'HA_ERR_BODY_MALFORMED');
  const empty = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: { ...AUTH, 'content-type': 'application/json' },
    payload: '',
  });
  t.equal(empty.statusCode, 400);
  const notFound = await app.inject({ method: 'GET', url: '/v2/nothing' });
  t.equal(notFound.statusCode, 404);
  t.equal(notFound.json<{ error: string }>().error, 'HA_ERR_NOT_FOUND');
});

t.test('ignored events: no failed hook of the chosen types, success without open incident', async (t) => {
  const { app, store } = buildTestApp();
  t.teardown(() => app.close());
  const postsync = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: AUTH,
    payload: contractBody(loadApplication('postsync-pod-failed'), 'hook-failed'),
  });
  t.equal(postsync.statusCode, 202);
  t.equal(postsync.json<{ incident: null }>().incident, null);
  t.match(postsync.json<{ ignored: string }>().ignored, /PreSync/);
  const success = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: AUTH,
    payload: contractBody(loadApplication('sync-succeeded'), 'sync-succeeded'),
  });
  t.equal(success.statusCode, 202);
  t.match(success.json<{ ignored: string }>().ignored, /no open incident/);
  t.same(store.queueDepth(), { events: 0, deliveries: 0 });
});

t.test('PostSync failures alert when PostSync is a chosen hook type', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  // the config's hooks.types has no environment variable: build through the config file path instead
  const { loadConfig } = await import('../../../src/config/load-config.js');
  t.throws(() => loadConfig({ env: {}, overrides: { hooks: { types: ['Postsync'] } } }), /hooks\.types\.0/);
  const cfg = loadConfig({ env: { HOOK_ALERTS_TOKEN: 'x'.repeat(20) }, overrides: { hooks: { types: ['PreSync', 'PostSync'] } } });
  t.same(cfg.hooks.types, ['PreSync', 'PostSync']);
});

t.test('a successful sync resolves the open incident of the app', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const fail = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failed() });
  const incident = fail.json<{ incident: string }>().incident;
  const success = contractBody(loadApplication('sync-succeeded'), 'sync-succeeded');
  (success.app as Record<string, unknown>).name = 'payments-api';
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: success });
  t.same(res.json(), { incident, duplicate: false });
  const again = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: success });
  t.same(again.json(), { incident, duplicate: true });
});

t.test('every Application fixture, rendered into a contract-v1 body, is accepted', async (t) => {
  const expectations = loadExpectations();
  for (const name of appFixtureNames()) {
    const { app } = buildTestApp();
    const expected = expectations[name]?.default ?? [];
    // A fixture that fires no trigger is still posted as hook-failed: the service must answer 202 ignored,
    // or 400 naming operationState when the app has none (it never synced).
    const events = expected.length > 0 ? expected : ['hook-failed'];
    for (const event of events) {
      const fixture = loadApplication(name);
      if (event === 'sync-succeeded') {
        // a success resolves an incident: open one for the same app first
        const failedBody = failed();
        const metadata = fixture.metadata as { name: string; namespace: string };
        Object.assign(failedBody.app as Record<string, unknown>, { name: metadata.name, namespace: metadata.namespace });
        await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failedBody });
      }
      const body = contractBody(fixture, event);
      const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: body });
      if (body.operationState === null) {
        t.equal(expected.length, 0, `${name} has no operationState: no trigger may fire for it`);
        t.equal(res.statusCode, 400, `${name} as ${event}: refused`);
        t.same(res.json<{ issues: { path: string }[] }>().issues.map((i) => i.path), ['operationState'], `${name}: the 400 names operationState`);
        continue;
      }
      t.equal(res.statusCode, 202, `${name} as ${event}`);
      const json = res.json<{ incident: string | null; ignored?: string }>();
      if (expected.length > 0) t.type(json.incident, 'string', `${name} opens or resolves an incident`);
      else t.equal(json.incident, null, `${name} needs no alert: ${json.ignored ?? ''}`);
    }
    await app.close();
  }
});

t.test('health, readiness and metrics', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failed() });
  await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failed() });
  await app.inject({ method: 'POST', url: '/v1/argocd/events', payload: failed() });
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.headers['content-type'], /text\/plain/);
  t.match(metrics.body, /hook_alerts_events_total\{outcome="accepted"\} 1/);
  t.match(metrics.body, /hook_alerts_events_total\{outcome="duplicate"\} 1/);
  t.match(metrics.body, /hook_alerts_events_total\{outcome="rejected"\} 1/);
  t.match(metrics.body, /hook_alerts_queue_depth\{queue="events"\} 1/);
  t.match(metrics.body, /hook_alerts_http_requests_total\{route="\/v1\/argocd\/events",method="POST",status="202"\} 2/);
});

t.test('readiness fails when the store cannot be written', async (t) => {
  const { app, store } = buildTestApp();
  t.teardown(() => app.close());
  store.pragma('query_only = ON');
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.match(ready.json<{ reasons: string[] }>().reasons[0], /store not writable/);
  const post = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: failed() });
  t.equal(post.statusCode, 503, 'an event that cannot be stored is not accepted, so Argo CD retries');
  t.equal(post.json<{ error: string }>().error, 'HA_ERR_STORE_UNAVAILABLE');
});

t.test("the README's example event is the presync-job-failed fixture as Argo CD renders it, and is accepted", async (t) => {
  const example = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/events/presync-job-failed.json'), 'utf8')) as unknown;
  t.same(example, renderedBody(loadApplication('presync-job-failed'), 'hook-failed'));
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: example as object });
  t.equal(res.statusCode, 202);
});

t.test('a wrong method on a known path is 405 with Allow; an unknown path stays 404', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const get = await app.inject({ method: 'GET', url: '/v1/argocd/events' });
  t.equal(get.statusCode, 405);
  t.equal(get.headers.allow, 'POST');
  t.equal(get.json<{ error: string }>().error, 'HA_ERR_METHOD_NOT_ALLOWED');
  t.match(get.json<{ message: string }>().message, /answers POST/);
  const put = await app.inject({ method: 'PUT', url: '/v1/argocd/events?x=1', headers: AUTH, payload: failed() });
  t.equal(put.statusCode, 405, 'the query string does not hide the path');
  const postHealth = await app.inject({ method: 'POST', url: '/healthz', payload: {} });
  t.equal(postHealth.statusCode, 405);
  t.equal(postHealth.headers.allow, 'GET, HEAD');
  // Each path comes from a different plugin: the root's onRoute hook sees the routes of all three.
  const postMetrics = await app.inject({ method: 'POST', url: '/metrics', payload: {} });
  t.equal(postMetrics.statusCode, 405);
  t.equal(postMetrics.headers.allow, 'GET, HEAD');
  t.equal((await app.inject({ method: 'DELETE', url: '/v2/nothing' })).statusCode, 404);
});

t.test('a token sent as a query parameter is redacted in the request log and the 404 answer', async (t) => {
  const { logger, logs } = capturingLogger('info');
  const { app } = buildTestApp({}, { logger });
  t.teardown(() => app.close());
  const secret = 'query-token-0123456789abcdef';
  await app.inject({ method: 'POST', url: `/v1/argocd/events?token=${secret}`, payload: failed() });
  const missing = await app.inject({ method: 'GET', url: `/nowhere?a=1&token=${secret}` });
  t.notMatch(missing.body, secret);
  const lines = logs.map((l) => JSON.stringify(l));
  t.ok(lines.some((l) => l.includes('/v1/argocd/events?token=[REDACTED]')), 'the logged URL keeps the path and the parameter name');
  t.ok(lines.some((l) => l.includes('/nowhere?a=[REDACTED]&token=[REDACTED]')));
  t.notOk(lines.some((l) => l.includes(secret)), 'no log line holds the token');
});

function withResources(body: Record<string, unknown>, resources: unknown[]): Record<string, unknown> {
  const op = body.operationState as { syncResult: { resources: unknown[] } };
  return { ...body, operationState: { ...op, syncResult: { ...op.syncResult, resources } } };
}

t.test('resources that are not hooks are skipped unread, however many and however malformed', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const body = failed();
  const real = (body.operationState as { syncResult: { resources: unknown[] } }).syncResult.resources;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/argocd/events',
    headers: AUTH,
    payload: withResources(body, [...new Array<number>(100_000).fill(0), ...real]),
  });
  t.equal(res.statusCode, 202, 'the failed hook after 100,000 junk entries still alerts');
  t.type(res.json<{ incident: string }>().incident, 'string');
});

t.test('a 400 lists the first 10 issues, counts the rest, and says each once', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const hooks = new Array(5_000).fill(null).map(() => ({ hookType: 'PreSync', hookPhase: 'Failed' }));
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: withResources(failed(), hooks) });
  t.equal(res.statusCode, 400);
  t.ok(res.body.length < 4_000, `a short answer (${res.body.length} bytes)`);
  const json = res.json<{ message: string; issues: { path: string; message: string }[] }>();
  t.equal(json.issues.length, 10);
  t.same(json.issues[0], { path: 'operationState.syncResult.resources.0.kind', message: 'missing', expected: 'string' });
  // 1,000 hook entries are considered, each missing kind and name: 2,000 issues.
  t.match(json.message, /\n {2}- and 1990 more$/);

  const wrongType = failed();
  (wrongType.app as Record<string, unknown>).name = 42;
  delete (wrongType.app as Record<string, unknown>).namespace;
  wrongType.operationState = { ...(wrongType.operationState as object), syncResult: 'x' };
  const typed = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: wrongType });
  const message = typed.json<{ message: string }>().message;
  t.match(message, '  - app.name: wrong type; found number; expected string');
  t.match(message, '  - app.namespace: missing; expected string');
  t.match(message, '  - operationState.syncResult: wrong type; found string; expected object');
  for (const line of message.split('\n')) t.ok((line.match(/expected/g) ?? []).length <= 1, `said once: ${line}`);
});

t.test('over-long lists and maps are one issue each', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const body = failed();
  body.sync = { revisions: new Array<number>(200_000).fill(0) };
  (body.app as Record<string, unknown>).labels = Object.fromEntries(new Array(2_000).fill(0).map((_, i) => [`k${i}`, i]));
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: body });
  t.equal(res.statusCode, 400);
  t.same(res.json<{ issues: { path: string; message: string }[] }>().issues, [
    { path: 'app.labels', message: 'at most 1000 entries' },
    { path: 'sync.revisions', message: 'at most 1000 entries' },
  ]);
});

t.test('a lone surrogate anywhere in the text is 400 naming the field', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const body = failed();
  (body.app as Record<string, unknown>).name = 'pay\ud800ments';
  (body.app as Record<string, unknown>).labels = { team: 'ok \udc00' };
  const res = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: body });
  t.equal(res.statusCode, 400);
  const json = res.json<{ message: string; issues: { path: string; message: string }[] }>();
  t.same(json.issues.map((i) => i.path), ['app.name', 'app.labels.team']);
  t.match(json.issues[0]?.message, /lone UTF-16 surrogate \(\\ud800 at character 3\)/);
  const paired = failed();
  (paired.app as Record<string, unknown>).name = 'payments-\ud83d\ude80';
  const ok = await app.inject({ method: 'POST', url: '/v1/argocd/events', headers: AUTH, payload: paired });
  t.equal(ok.statusCode, 202, 'a surrogate pair (an emoji) is fine');
});
