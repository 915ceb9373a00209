import { metricValue } from './prom-text.js';

/** An answer of the service, body parsed. */
export interface ServiceAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** POST a contract-v1 body to a running service's webhook route with a bearer token. */
export async function postEvent(url: string, token: string, body: unknown): Promise<ServiceAnswer> {
  const res = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** GET a JSON endpoint (/readyz, /healthz). */
export async function getJson(url: string): Promise<ServiceAnswer> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Work not finished yet, as GET /metrics reports it (hook_alerts_queue_depth). */
export async function queueDepth(url: string): Promise<{ events: number; deliveries: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    events: metricValue(text, 'hook_alerts_queue_depth', { queue: 'events' }),
    deliveries: metricValue(text, 'hook_alerts_queue_depth', { queue: 'deliveries' }),
  };
}

/**
 * Poll until `done()` holds, every `intervalMs`, for at most `maxMs` (default 120 s); then fail with
 * `what`. A bound on a wait, not a timing assertion: it only turns a hang into a message, so it is far
 * longer than anything takes on a loaded machine. Measured on the clock, not counted in rounds: a slow
 * `done()` does not stretch it.
 */
export async function waitUntil(what: string, done: () => boolean | Promise<boolean>, opts: { intervalMs?: number; maxMs?: number } = {}): Promise<void> {
  const interval = opts.intervalMs ?? 50;
  const maxMs = opts.maxMs ?? 120_000;
  const giveUpAt = Date.now() + maxMs;
  while (!(await done())) {
    if (Date.now() >= giveUpAt) throw new Error(`gave up waiting after ${maxMs / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
