import t from 'tap';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildTestApp, AUTH } from '../support/intake-app.js';
import { appFixtureNames, contractBody, loadApplication } from '../support/contract-bodies.js';
import { loadConfig } from '../../src/config/load-config.js';
import { HookAlertsError } from '../../src/errors.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const seeds: Json[] = appFixtureNames().flatMap((name) =>
  ['hook-failed', 'hook-retrying', 'sync-succeeded'].map((event) => contractBody(loadApplication(name), event) as Json),
);

// Replace, delete or retype one value somewhere in a valid body: the bodies a buggy template produces.
function mutate(value: Json, path: number[], replacement: Json, mode: number): Json {
  if (path.length === 0 || value === null || typeof value !== 'object') return mode === 0 ? replacement : value;
  const [head = 0, ...rest] = path;
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const i = head % value.length;
    return value.map((v, j) => (j === i ? mutate(v, rest, replacement, mode) : v));
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[head % keys.length] ?? '';
  const copy: { [k: string]: Json } = { ...value };
  if (mode === 1 && rest.length === 0) delete copy[key];
  else copy[key] = mutate(value[key] ?? null, rest, replacement, mode === 1 ? 0 : mode);
  return copy;
}

const mutatedBody = fc
  .tuple(
    fc.nat(seeds.length - 1),
    fc.array(fc.nat(40), { minLength: 1, maxLength: 6 }),
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
    fc.nat(1),
  )
  .map(([seed, path, replacement, mode]) => JSON.stringify(mutate(seeds[seed] ?? null, path, replacement, mode)));

const rawBody = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  mutatedBody.map((s) => s.slice(0, Math.max(1, Math.floor(s.length / 2)))),
);

t.test('10,000 generated and mutated bodies: only 2xx and 4xx, never a 5xx, memory flat', async (t) => {
  const { app } = buildTestApp();
  t.teardown(() => app.close());
  const statuses = new Map<number, number>();
  const send = async (payload: string): Promise<void> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/argocd/events',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload,
    });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    if (res.statusCode >= 500) throw new Error(`status ${res.statusCode} for body ${payload.slice(0, 500)}: ${res.body}`);
  };
  // Warm up, then measure the heap across the bulk of the run.
  await fc.assert(fc.asyncProperty(fc.oneof(mutatedBody, rawBody), send), { numRuns: 1_000, seed: 42 });
  gc();
  const before = process.memoryUsage().heapUsed;
  await fc.assert(fc.asyncProperty(mutatedBody, send), { numRuns: 6_000, seed: 7 });
  await fc.assert(fc.asyncProperty(rawBody, send), { numRuns: 3_000, seed: 9 });
  gc();
  const growthMiB = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}; heap growth ${growthMiB.toFixed(1)} MiB`);
  t.ok([...statuses.keys()].every((s) => s >= 200 && s < 500), 'only 2xx and 4xx');
  t.ok((statuses.get(202) ?? 0) > 100, 'many mutated bodies are still valid and accepted');
  t.ok((statuses.get(400) ?? 0) > 100, 'many are rejected with 400');
  // The store keeps accepted events (in memory here), a few MiB; a leak per request would be far more.
  t.ok(growthMiB < 40, `heap growth ${growthMiB.toFixed(1)} MiB stays flat`);
});

t.test('the config loader answers any input with a HookAlertsError or a config, nothing else', async (t) => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })), (overrides) => {
      try {
        loadConfig({ env: {}, overrides: overrides as { [k: string]: Json } });
      } catch (err) {
        if (!(err instanceof HookAlertsError)) throw err;
        if (err.code !== 'HA_ERR_CONFIG_INVALID') throw err;
      }
    }),
    { numRuns: 2_000, seed: 3 },
  );
  t.pass('2,000 random configs: every failure was a listed config error');
});
