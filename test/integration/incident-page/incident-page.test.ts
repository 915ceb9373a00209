import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { slackEnv, workerHarness, type WorkerHarness } from '../../support/worker-harness.js';
import { FAILING_LINE, storeIncident } from '../../support/incident-fixture.js';
import { sampleEvent } from '../../support/sample-alerts.js';
import { PageAccess } from '../../../src/incident-page/page-access.js';
import type { JsonObject } from '../../../src/config/load-config.js';

// The incident page through the service as main.ts wires it (createService): every way in and out, what the
// page shows of a captured incident, and a replay from the page that the worker then delivers.

const WEBHOOK_TOKEN = 'webhook-token-0123456789';
const VIEWER_TOKEN = 'viewer-token-0123456789';
const LINK_KEY = 'k'.repeat(40);
const PUBLIC_URL = 'https://alerts.example.com';

async function harness(t: Test, server: JsonObject, slack?: SlackApiServer): Promise<WorkerHarness> {
  return workerHarness(t, {
    env: slack === undefined ? {} : slackEnv(slack, 'C0DEPLOYS'),
    overrides: { server: { token: WEBHOOK_TOKEN, ...server } },
  });
}

async function get(h: WorkerHarness, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const res = await h.app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

/** The hidden fields and action of a delivery's replay form on a page. */
function replayForm(html: string, deliveryId: number): { action: string; csrf: string; expires: string } {
  const form = new RegExp(`<form class="inline" method="post" action="([^"]+/deliveries/${deliveryId}/replay[^"]*)">\\s*<input type="hidden" name="csrf" value="([^"]+)"><input type="hidden" name="expires" value="(\\d+)">`).exec(html);
  if (form === null) throw new Error(`no replay form for delivery ${deliveryId}`);
  return { action: (form[1] ?? '').replaceAll('&amp;', '&'), csrf: form[2] ?? '', expires: form[3] ?? '' };
}

t.test('off unless configured: no route answers', async (t) => {
  const h = await harness(t, {});
  t.equal((await get(h, '/incidents')).status, 404);
  t.equal((await get(h, '/incidents/inc_00000000000000000000', { authorization: `Bearer ${WEBHOOK_TOKEN}` })).status, 404);
});

t.test('the viewer token opens the page; none, a wrong one and the webhook token do not', async (t) => {
  const h = await harness(t, { viewerToken: VIEWER_TOKEN });
  const { incidentId } = await storeIncident(h.store, { target: 'slack:C0DEPLOYS' });
  for (const url of ['/incidents', `/incidents/${incidentId}`, `/incidents/${incidentId}/logs.txt`]) {
    const none = await get(h, url);
    t.equal(none.status, 401, `${url}: no token`);
    t.equal(none.headers['www-authenticate'], 'Bearer realm="incident page"');
    t.equal((await get(h, url, { authorization: 'Bearer not-the-viewer-token' })).status, 401, `${url}: a wrong token`);
    const webhook = await get(h, url, { authorization: `Bearer ${WEBHOOK_TOKEN}` });
    t.equal(webhook.status, 403, `${url}: the webhook token`);
    t.match(webhook.body, /webhook token does not open the incident page/);
    t.equal((await get(h, url, { 'x-forwarded-email': 'mallory@example.com' })).status, 401, `${url}: a proxy header while no proxy is trusted`);
    t.equal((await get(h, url, { authorization: `Bearer ${VIEWER_TOKEN}` })).status, 200, `${url}: the viewer token`);
  }
  t.equal((await get(h, `/incidents/${incidentId}?exp=${Date.now() + 60_000}&sig=${'A'.repeat(43)}`)).status, 403, 'no signing key: no signed link');
});

t.test('HOOK_ALERTS_VIEWER_TOKEN_FILE: a rotated viewer token is taken without a restart, the old one refused', async (t) => {
  const dir = t.testdir({ viewer: `${VIEWER_TOKEN}\n` });
  const file = join(dir, 'viewer');
  const h = await workerHarness(t, { env: { HOOK_ALERTS_VIEWER_TOKEN_FILE: file }, overrides: { server: { token: WEBHOOK_TOKEN } } });
  const rotated = 'rotated-viewer-token-0123456789';
  t.equal((await get(h, '/incidents', { authorization: `Bearer ${VIEWER_TOKEN}` })).status, 200, 'the token read at start');
  writeFileSync(file, `${rotated}\n`);
  h.clock.now += 1_000;
  t.equal((await get(h, '/incidents', { authorization: `Bearer ${rotated}` })).status, 200, 'the new token, once the file changed');
  t.equal((await get(h, '/incidents', { authorization: `Bearer ${VIEWER_TOKEN}` })).status, 401, 'the old one is refused');
  t.notOk(JSON.stringify(h.logs).includes(rotated), 'no token in the log');
});

t.test('the page: headline, diagnosis, links, every attempt\'s whole log with the failing lines marked, escaped, under a strict policy', async (t) => {
  const h = await harness(t, { viewerToken: VIEWER_TOKEN });
  const { incidentId, report } = await storeIncident(h.store, { target: 'slack:C0DEPLOYS', attempts: 3, logBytes: 6_000 });
  const auth = { authorization: `Bearer ${VIEWER_TOKEN}` };
  const page = await get(h, `/incidents/${incidentId}`, auth);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, /default-src 'none'/);
  t.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
  t.notMatch(csp, /unsafe|script-src/, 'no script and nothing unsafe is allowed');
  t.equal(page.headers['referrer-policy'], 'same-origin');
  t.equal(page.headers['cache-control'], 'no-store');
  const html = page.body;
  t.match(html, /<h1>\[FAILED\] payments-api: PreSync hook [^<]+ failed/);
  t.match(html, /<span class="badge bad">open<\/span>/);
  t.match(html, /class="finding"><strong>All 3 attempts failed the same way/, 'the diagnosis is shown');
  t.match(html, /href="[^"]*\/applications\/argocd\/payments-api\?operation=true"/, 'links to Argo CD');
  t.notMatch(html, /<script/i, 'no script at all, and the log\'s <script> is text');
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/);
  const logs = report.hooks[0]?.pods.map((p) => p.containers[0]?.log?.text ?? '') ?? [];
  t.equal(logs.length, 3, 'three attempts');
  for (const [a, log] of logs.entries()) {
    const lines = log.trimEnd().split('\n');
    t.ok(html.includes(`attempt ${a + 1} line ${lines.length - 3}: applying`), `attempt ${a + 1}: its last numbered line is there`);
    t.ok(html.includes(`id="h0-log${a}"`), `attempt ${a + 1} has its own log block`);
  }
  const lineCount = logs.reduce((n, log) => n + log.trimEnd().split('\n').length, 0);
  const shown = (html.match(/<(?:span|mark) class="l"/g) ?? []).length;
  t.equal(shown, lineCount, 'every line of every attempt is on the page, numbered');
  const marked = [...html.matchAll(/<mark class="l" id="[^"]+">([^<]*)<\/mark>/g)].map((m) => m[1]);
  t.same(marked, [1, 2, 3].map(() => FAILING_LINE.replaceAll('"', '&quot;')), 'the failing line of each attempt is marked, and only it');
  t.match(html, /Send again|Deliveries/);
  t.notMatch(html, /action="[^"]*\/replay/, 'a pending delivery has no replay button');

  const text = await get(h, `/incidents/${incidentId}/logs.txt`, auth);
  t.equal(text.status, 200);
  t.match(text.headers['content-disposition'], new RegExp(`attachment; filename="${incidentId}-logs.txt"`));
  for (const log of logs) t.ok(text.body.includes(log), 'the download holds each log whole');
  t.equal((await get(h, '/incidents/inc_ffffffffffffffffffff', auth)).status, 404);
  t.equal((await get(h, '/incidents/..%2f..%2fetc', auth)).status, 404);
});

t.test('the list: newest first, filters, a bad filter is refused', async (t) => {
  const h = await harness(t, { viewerToken: VIEWER_TOKEN });
  const { incidentId } = await storeIncident(h.store, { target: 'slack:C0DEPLOYS' });
  const auth = { authorization: `Bearer ${VIEWER_TOKEN}` };
  const list = await get(h, '/incidents', auth);
  t.equal(list.status, 200);
  t.match(list.body, new RegExp(`href="/incidents/${incidentId}"`));
  t.match((await get(h, '/incidents?app=payments-api&state=open', auth)).body, new RegExp(incidentId));
  t.match((await get(h, '/incidents?app=nobody', auth)).body, /No incidents match/);
  t.match((await get(h, '/incidents?state=resolved', auth)).body, /No incidents match/);
  t.match((await get(h, '/incidents?project=elsewhere', auth)).body, /No incidents match/);
  t.equal((await get(h, '/incidents?state=bogus', auth)).status, 400);
  t.equal((await get(h, '/incidents?page=0', auth)).status, 400);
});

t.test('a trusted proxy\'s header names the viewer, only when enabled', async (t) => {
  const h = await harness(t, { authProxy: { enabled: true, userHeader: 'X-Auth-Request-Email' } });
  const { incidentId } = await storeIncident(h.store, { target: 'slack:C0DEPLOYS' });
  t.equal((await get(h, `/incidents/${incidentId}`)).status, 401, 'no header');
  t.equal((await get(h, `/incidents/${incidentId}`, { 'x-forwarded-email': 'alice@example.com' })).status, 401, 'another header than the configured one');
  const page = await get(h, `/incidents/${incidentId}`, { 'x-auth-request-email': 'alice@example.com' });
  t.equal(page.status, 200);
  t.match(page.body, /Viewing as alice@example\.com/);
  t.equal((await get(h, `/incidents/${incidentId}`, { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'x-auth-request-email': 'alice@example.com' })).status, 403, 'a webhook token sent along is refused, not ignored');
});

t.test('signed links: the alert\'s link opens its incident until it expires; a tampered or borrowed one never', async (t) => {
  const slack = await SlackApiServer.start({ channels: [{ id: 'C0DEPLOYS', name: 'deploys', member: true }] });
  t.teardown(() => slack.close());
  const h = await harness(t, { publicUrl: PUBLIC_URL, linkSigningKey: LINK_KEY, linkTtlHours: 1 }, slack);
  const { incidentId } = await storeIncident(h.store, { target: 'slack:C0DEPLOYS', now: h.clock.now });
  const other = await storeIncident(h.store, { target: 'slack:C0DEPLOYS', now: h.clock.now }).catch(() => null);
  t.equal(other?.incidentId ?? incidentId, incidentId, 'one incident (the same operation)');
  await h.worker.runOnce();
  const [message] = slack.messagesIn('C0DEPLOYS');
  const blocks = JSON.stringify(message?.blocks ?? []);
  const link = new RegExp(`"url":"(${PUBLIC_URL.replaceAll('.', '\\.')}/incidents/${incidentId}\\?exp=\\d+&sig=[A-Za-z0-9_-]{43})"`).exec(blocks)?.[1];
  if (link === undefined) throw new Error(`the Slack message carries no signed incident link: ${blocks}`);
  const path = link.slice(PUBLIC_URL.length);
  t.equal((await get(h, path)).status, 200, 'the link opens the page without a login');
  t.match((await get(h, path)).body, /Viewing as signed-link/);
  t.equal((await get(h, path.replace('/incidents/', '/incidents/').replace('?', '/logs.txt?'))).status, 200, 'and its logs');
  const sig = /sig=([A-Za-z0-9_-]+)/.exec(path)?.[1] ?? '';
  const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
  t.equal((await get(h, path.replace(sig, flipped))).status, 403, 'a tampered signature');
  const exp = /exp=(\d+)/.exec(path)?.[1] ?? '';
  t.equal((await get(h, path.replace(`exp=${exp}`, `exp=${Number(exp) + 86_400_000}`))).status, 403, 'a later expiry under the same signature');
  t.equal((await get(h, path.replace(incidentId, 'inc_0123456789abcdef0123'))).status, 403, 'the signature of another incident');
  t.equal((await get(h, `/incidents?exp=${exp}&sig=${sig}`)).status, 403, 'a signed link does not open the list');
  h.clock.now = Number(exp);
  const expired = await get(h, path);
  t.equal(expired.status, 403, 'expired');
  t.match(expired.body, /expired/);
});

t.test('replay from the page: a failed delivery is sent again by the worker, who and when recorded; forms are checked', async (t) => {
  const slack = await SlackApiServer.start({ channels: [{ id: 'C0DEPLOYS', name: 'deploys', member: true }] });
  t.teardown(() => slack.close());
  const h = await harness(t, { publicUrl: PUBLIC_URL, linkSigningKey: LINK_KEY, authProxy: { enabled: true } }, slack);
  const { incidentId } = await storeIncident(h.store, { target: 'slack:C0DEPLOYS', now: h.clock.now });
  slack.failNext('chat.postMessage', { kind: 'error', error: 'channel_not_found' });
  await h.worker.runOnce();
  const [failed] = h.store.listDeliveries();
  t.match(failed, { state: 'failed', lastError: /channel_not_found/ });
  const id = failed?.id ?? -1;
  const user = { 'x-forwarded-email': 'alice@example.com' };
  const page = await get(h, `/incidents/${incidentId}`, user);
  t.match(page.body, /channel_not_found/);
  const form = replayForm(page.body, id);
  const post = async (headers: Record<string, string>, body: string): Promise<{ status: number; location: unknown; body: string }> => {
    const res = await h.app.inject({ method: 'POST', url: form.action, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: body });
    return { status: res.statusCode, location: res.headers.location, body: res.body };
  };
  const good = `csrf=${encodeURIComponent(form.csrf)}&expires=${form.expires}`;
  t.equal((await post({ ...user, origin: 'https://evil.example' }, good)).status, 403, 'from another origin');
  t.equal((await post({ ...user, 'sec-fetch-site': 'cross-site' }, good)).status, 403, 'cross-site without an Origin');
  t.equal((await post(user, `csrf=${'A'.repeat(43)}&expires=${form.expires}`)).status, 403, 'a forged form token');
  t.equal((await post({ 'x-forwarded-email': 'mallory@example.com' }, good)).status, 403, 'another user\'s form');
  t.equal((await post({}, good)).status, 401, 'nobody');
  t.equal((await post({ authorization: `Bearer ${WEBHOOK_TOKEN}` }, good)).status, 403, 'the webhook token');
  t.equal(h.store.listDeliveries()[0]?.state, 'failed', 'nothing was replayed by those');

  h.clock.now += 5_000;
  const done = await post({ ...user, origin: 'https://alerts.example.com' }, good);
  t.equal(done.status, 303);
  t.equal(done.location, `/incidents/${incidentId}?replayed=${id}#delivery-${id}`);
  t.match(h.store.listDeliveries()[0], { state: 'pending', replayedBy: 'alice@example.com', replayedAt: h.clock.now });
  t.equal((await post(user, good)).status, 409, 'a pending delivery is not replayed twice');
  await h.worker.runOnce();
  t.match(h.store.listDeliveries()[0], { state: 'sent', attempts: 2, replayedBy: 'alice@example.com' });
  t.match(slack.messagesIn('C0DEPLOYS')[0], { channel: 'C0DEPLOYS', text: /payments-api/ }, 'delivered to Slack');
  const after = await get(h, `/incidents/${incidentId}?replayed=${id}`, user);
  t.match(after.body, /queued again/);
  t.match(after.body, /replayed by alice@example\.com/);
  t.match(after.body, /href="https:\/\/slack\.com\/archives\/C0DEPLOYS\/p\d+"/, 'the Slack permalink');
  t.notMatch(after.body, /action="[^"]*\/replay/, 'a sent delivery has no replay button');
});

t.test('replay: a form naming a delivery of another incident is refused, and replays nothing', async (t) => {
  const h = await harness(t, { publicUrl: PUBLIC_URL, linkSigningKey: LINK_KEY, authProxy: { enabled: true } });
  const shown = await storeIncident(h.store, { target: 'slack:C0DEPLOYS', now: h.clock.now });
  const failed = sampleEvent('presync-job-failed');
  const other = await storeIncident(h.store, { target: 'slack:C0DEPLOYS', now: h.clock.now, event: { ...failed, app: { ...failed.app, name: 'billing' } } });
  t.not(other.incidentId, shown.incidentId);
  const deliveryOf = new Map(h.store.listDeliveries().map((d) => [d.incidentId, d.id]));
  const foreign = deliveryOf.get(other.incidentId) ?? -1;
  h.store.markGivenUp(foreign, 'failed', 'channel_not_found', h.clock.now);
  // A form signed with the service's own key for this pair: only the ownership check stands in the way.
  const user = { 'x-forwarded-email': 'alice@example.com' };
  const form = new PageAccess({ linkSigningKey: LINK_KEY, authProxy: { enabled: true, userHeader: 'x-forwarded-email' } }, null, null)
    .replayForm({ kind: 'proxy', user: user['x-forwarded-email'] }, shown.incidentId, foreign, h.clock.now);
  const res = await h.app.inject({
    method: 'POST',
    url: `/incidents/${shown.incidentId}/deliveries/${foreign}/replay`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_URL, ...user },
    payload: `csrf=${encodeURIComponent(form.token)}&expires=${form.expires}`,
  });
  t.equal(res.statusCode, 404);
  t.match(res.body, `incident ${shown.incidentId} has no delivery ${foreign}`);
  t.match(h.store.listDeliveries().find((d) => d.id === foreign), { state: 'failed', replayedBy: null }, 'the other incident\'s delivery is not replayed');
});
