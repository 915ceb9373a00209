import t from 'tap';
import { connect, type Socket } from 'node:net';
import { buildTestApp, AUTH, TEST_TOKEN } from '../../support/intake-app.js';
import { contractBody, loadApplication } from '../../support/contract-bodies.js';
import { loadConfig, type JsonObject } from '../../../src/config/load-config.js';

async function listen(server: JsonObject = {}): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const { app } = buildTestApp({}, { overrides: { server } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, port: Number(new URL(url).port), close: () => app.close() };
}

/** A raw client socket that keeps what the server sent and resolves `closed` when the server hangs up. */
interface RawClient {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port });
  let data = '';
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed };
}

// Only bounds a hang (a socket the server never closes fails the test rather than stalling it): every
// close here follows a limit of at most a second.
async function closedWithin(client: RawClient, what: string, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: the server still holds the socket after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([client.closed, hang]);
  } finally {
    clearTimeout(timer);
  }
}

function postHead(token: string, contentLength: number): string {
  return [
    'POST /v1/argocd/events HTTP/1.1',
    'Host: 127.0.0.1',
    `Authorization: Bearer ${token}`,
    'Content-Type: application/json',
    `Content-Length: ${contentLength}`,
    '',
    '',
  ].join('\r\n');
}

function oversizedBody(): string {
  const body = contractBody(loadApplication('presync-job-failed'), 'hook-failed');
  return JSON.stringify({ ...body, padding: 'x'.repeat(4 * 1024 * 1024) });
}

t.test('a body over the 4 MiB default is 413 over a real socket (content-length and chunked), saying what to do', async (t) => {
  const { url, close } = await listen();
  t.teardown(close);
  const big = oversizedBody();
  const res = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: big,
  });
  t.equal(res.status, 413);
  const answer = (await res.json()) as { error: string; message: string };
  t.equal(answer.error, 'HA_ERR_BODY_TOO_LARGE');
  t.match(answer.message, `(${Buffer.byteLength(big)} bytes) is larger than server.bodyLimitBytes (4194304 bytes)`, 'names the size and the setting');
  t.match(answer.message, /re-run it/, 'says what to do');

  const chunks = [big.slice(0, 2_600_000), big.slice(2_600_000)];
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
  t.notMatch(((await chunked.json()) as { message: string }).message, /bytes\) is larger/, 'no size is claimed without a Content-Length');

});

t.test('authentication happens before the body is read', async (t) => {
  const { url, close } = await listen();
  t.teardown(close);
  const res = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: oversizedBody(),
  });
  t.equal(res.status, 401, 'an unauthenticated 4 MiB body is refused for auth, not parsed');
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

t.test('a refused caller gets 401 and the connection is closed without waiting for its trickled body', async (t) => {
  // No request or connection timeout: only the 401's Connection: close can free these sockets.
  const { port, close } = await listen({ requestTimeoutMs: 0, headersTimeoutMs: 0, connectionTimeoutMs: 0 });
  t.teardown(close);
  const clients = await Promise.all([1, 2, 3].map(() => rawClient(port)));
  for (const c of clients) c.socket.write(`${postHead('not-the-token-0123456789', 1000)}{`);
  for (const [i, c] of clients.entries()) {
    await closedWithin(c, `refused client ${i}`);
    t.match(c.received(), /^HTTP\/1\.1 401 /, `client ${i} got its 401`);
    t.match(c.received(), /\r\nconnection: close\r\n/i);
  }
});

t.test('a trickled body or trickled headers are cut at the configured timeouts', async (t) => {
  const { url, port, close } = await listen({ requestTimeoutMs: 400, headersTimeoutMs: 200, connectionTimeoutMs: 0 });
  t.teardown(close);
  const body = await rawClient(port);
  body.socket.write(`${postHead(TEST_TOKEN, 1000)}{`);
  const headers = await rawClient(port);
  headers.socket.write('POST /v1/argocd/events HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  await closedWithin(body, 'an authenticated client trickling its body');
  t.match(body.received(), /^HTTP\/1\.1 408 /, 'the trickled body is answered 408 Request Timeout');
  await closedWithin(headers, 'a client trickling its headers');
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'the service answers meanwhile');
});

t.test('an idle connection is closed after connectionTimeoutMs', async (t) => {
  const { port, close } = await listen({ requestTimeoutMs: 0, headersTimeoutMs: 0, connectionTimeoutMs: 200 });
  t.teardown(close);
  const idle = await rawClient(port);
  await closedWithin(idle, 'an idle client');
  t.equal(idle.received(), '', 'closed without an answer: it asked nothing');
});

t.test('connections past maxConnections are refused; the others are served', async (t) => {
  const { url, port, close } = await listen({ maxConnections: 3, requestTimeoutMs: 0, headersTimeoutMs: 0, connectionTimeoutMs: 0 });
  t.teardown(close);
  const held = await Promise.all([1, 2, 3].map(() => rawClient(port)));
  for (const c of held) c.socket.write('GET /healthz HTTP/1.1\r\n');
  const extra = await rawClient(port);
  await closedWithin(extra, 'a fourth connection over a cap of 3');
  t.equal(extra.received(), '', 'refused before any answer');
  for (const c of held) c.socket.destroy();
  await Promise.all(held.map((c) => c.closed));
  // The server counts a connection closed when its own side notices; poll until the slot is free.
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
  }
  t.equal(status, 200, 'a new connection is served once one is free');
});

t.test('the timeouts are validated together', async (t) => {
  t.throws(() => loadConfig({ env: {}, overrides: { server: { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 } } }), /headersTimeoutMs/);
  const defaults = loadConfig({ env: {} }).server;
  t.same(
    { h: defaults.headersTimeoutMs, r: defaults.requestTimeoutMs, c: defaults.connectionTimeoutMs, m: defaults.maxConnections },
    { h: 10_000, r: 30_000, c: 60_000, m: 1_000 },
  );
});
