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
 * Poll until `done()` holds, every `intervalMs`; fail with `what` after `maxMs` (default 120 s), or,
 * with `progress`, only after `progress()` has not changed for `maxMs`: for a wait whose length depends
 * on how loaded the machine is (a queue of hundreds draining). A bound on a hang, not a timing
 * assertion: far longer than anything takes on a loaded machine, measured on the clock.
 */
export async function waitUntil(
  what: string,
  done: () => boolean | Promise<boolean>,
  opts: { intervalMs?: number; maxMs?: number; progress?: () => number } = {},
): Promise<void> {
  const interval = opts.intervalMs ?? 50;
  const maxMs = opts.maxMs ?? 120_000;
  let giveUpAt = Date.now() + maxMs;
  let seen = opts.progress?.();
  while (!(await done())) {
    const now = opts.progress?.();
    if (now !== seen) {
      seen = now;
      giveUpAt = Date.now() + maxMs;
    }
    if (Date.now() >= giveUpAt) throw new Error(`gave up waiting: ${what} (${opts.progress === undefined ? 'not within' : 'no progress for'} ${maxMs / 1000} s)`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Wait for `get()` to return something, and return it; fails instead of hanging. */
export async function waitForValue<T>(what: string, get: () => T | undefined): Promise<T> {
  let value: T | undefined;
  await waitUntil(what, () => (value = get()) !== undefined, { intervalMs: 10 });
  if (value === undefined) throw new Error(`no value for: ${what}`);
  return value;
}

/** Wait until a running service has no event and no delivery left to work on, as long as the queue keeps shrinking. */
export async function waitForDrain(url: string, what = 'the queue drains'): Promise<void> {
  let left = Number.POSITIVE_INFINITY;
  await waitUntil(
    what,
    async () => {
      const depth = await queueDepth(url);
      left = depth.events + depth.deliveries;
      return left === 0;
    },
    { intervalMs: 100, progress: () => left },
  );
}
