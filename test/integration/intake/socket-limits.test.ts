import t from 'tap';
import { buildTestApp, AUTH } from '../../support/intake-app.js';
import { contractBody, loadApplication } from '../../support/contract-bodies.js';

async function listen(): Promise<{ url: string; close: () => Promise<void> }> {
  const { app } = buildTestApp();
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

function oversizedBody(): string {
  const body = contractBody(loadApplication('presync-job-failed'), 'hook-failed');
  return JSON.stringify({ ...body, padding: 'x'.repeat(1024 * 1024) });
}

t.test('a body over 1 MiB is 413 over a real socket (content-length and chunked)', async (t) => {
  const { url, close } = await listen();
  t.teardown(close);
  const big = oversizedBody();
  const res = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: big,
  });
  t.equal(res.status, 413);
  t.equal(((await res.json()) as { error: string }).error, 'HA_ERR_BODY_TOO_LARGE');

  const chunks = [big.slice(0, 600_000), big.slice(600_000)];
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  const chunked = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: stream,
    duplex: 'half',
  });
  t.equal(chunked.status, 413, 'a chunked body without content-length is cut at the limit too');
});

t.test('authentication happens before the body is read', async (t) => {
  const { url, close } = await listen();
  t.teardown(close);
  const res = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: oversizedBody(),
  });
  t.equal(res.status, 401, 'an unauthenticated 1 MiB body is refused for auth, not parsed');
});

t.test('content type with charset is accepted; JSON errors have the documented shape', async (t) => {
  const { url, close } = await listen();
  t.teardown(close);
  const ok = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(contractBody(loadApplication('presync-job-failed'), 'hook-failed')),
  });
  t.equal(ok.status, 202);
  const form = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=b',
  });
  t.equal(form.status, 415);
  const json = (await form.json()) as Record<string, unknown>;
  t.same(Object.keys(json).sort(), ['error', 'issues', 'message']);
});
