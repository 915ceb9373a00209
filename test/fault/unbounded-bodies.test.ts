/**
 * Bodies whose validation used to grow without bound, against the real service as the image runs it (the
 * built CLI under the image's heap limits, `npm run build` first): a 0.5 MB list of 250,000 invalid
 * entries ran it out of heap (SIGABRT), and thousands of invalid hooks made a 400 of megabytes.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hookFailedBody } from '../support/hook-failed-body.js';
import { REPO_ROOT } from '../support/contract-bodies.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const TOKEN = 'unbounded-bodies-token-0123456789';

if (!existsSync(join(REPO_ROOT, 'dist/src/cli.js'))) throw new Error('dist/src/cli.js is missing: run `npm run build` first');

function withResources(prefix: string): string {
  const body = hookFailedBody({});
  const json = JSON.stringify(body);
  // Splice the raw entries in front of the real hook: building 250,000 entries as objects would cost the test more than the service.
  return json.replace('"resources":[', `"resources":[${prefix}`);
}

async function post(svc: ServiceProcess, body: string): Promise<{ status: number; bytes: number; json: Record<string, unknown> }> {
  const res = await fetch(`${svc.url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  return { status: res.status, bytes: text.length, json: JSON.parse(text) as Record<string, unknown> };
}

t.test('250,000 junk resources and 40,000 invalid hooks: short answers, the service lives', async (t) => {
  const dir = t.testdir();
  const svc = await startServiceProcess(t, [], { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dir, HOME: dir, LOG_LEVEL: 'info' }, { built: true });
  t.teardown(() => {
    svc.child.kill('SIGKILL');
  });

  const junk = withResources('0,'.repeat(250_000));
  t.ok(junk.length > 500_000 && junk.length < 1024 * 1024, `a ${junk.length}-byte body, under the body limit`);
  const accepted = await post(svc, junk);
  t.equal(accepted.status, 202, 'the failed hook behind 250,000 junk entries is accepted');
  t.type(accepted.json.incident, 'string');

  const invalidHooks = withResources('{"hookType":"PreSync"},'.repeat(40_000));
  const refused = await post(svc, invalidHooks);
  t.equal(refused.status, 400);
  t.ok(refused.bytes < 4_000, `the 400 is ${refused.bytes} bytes`);
  t.match(String(refused.json.message), /and 1990 more$/);

  t.equal(svc.child.exitCode, null, 'the service still runs');
  t.equal(svc.child.signalCode, null);
  const health = await fetch(`${svc.url}/healthz`);
  t.equal(health.status, 200);
});
