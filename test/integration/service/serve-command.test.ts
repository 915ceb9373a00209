import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceProcess } from '../../support/service-process.js';
import { runCli } from '../../support/cli-process.js';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const res = await runCli(t, args, { env: { PATH: process.env.PATH, ...env } });
  return { status: res.code, stdout: res.stdout, stderr: res.stderr };
}

t.test('serve refuses to start without a token', async (t) => {
  const dataDir = t.testdir({});
  const res = await cli(['serve'], { HOOK_ALERTS_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
  t.equal(res.status, 1);
  t.match(res.stderr, /no webhook token configured: set HOOK_ALERTS_TOKEN.*--insecure-no-auth/);
});

t.test('invalid config stops start-up with every problem listed (exit 1)', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'server:\n  port: -1\nhooks:\n  types: []\n' });
  const res = await cli(['serve', '--config', join(dir, 'bad.yaml')], { HOOK_ALERTS_TOKEN: 'x'.repeat(20) });
  t.equal(res.status, 1);
  t.match(res.stderr, /server\.port/);
  t.match(res.stderr, /hooks\.types/);
  const validate = await cli(['validate', 'config', '--config', join(dir, 'bad.yaml')]);
  t.equal(validate.status, 1);
  t.match(validate.stderr, /server\.port[\s\S]*hooks\.types/);
  const good = t.testdir({ 'good.yaml': 'hooks:\n  types: [PreSync, PostSync]\n' });
  const ok = await cli(['validate', 'config', '--config', join(good, 'good.yaml')], { HOOK_ALERTS_TOKEN: 'x'.repeat(20) });
  t.equal(ok.status, 0);
  t.match(ok.stdout, /config is valid; sinks on: file/);
});

t.test('usage errors exit 2, --help exits 0', async (t) => {
  t.equal((await cli(['serve', '--no-such-flag'])).status, 2);
  t.equal((await cli(['frobnicate'])).status, 2);
  const help = await cli(['serve', '--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /--insecure-no-auth/);
});

t.test('embedded defaults generate a token once, log where it is, never the token', async (t) => {
  const dataDir = t.testdir({});
  const svc = await startServiceProcess(t, ['--embedded-defaults'], { HOOK_ALERTS_DATA_DIR: dataDir });
  const tokenFile = join(dataDir, 'webhook-token');
  const token = readFileSync(tokenFile, 'utf8').trim();
  t.ok(token.length >= 32);
  t.equal(statSync(tokenFile).mode & 0o777, 0o600, 'the token file is private');
  const logText = JSON.stringify(svc.logs);
  t.match(logText, /webhook-token/);
  t.notMatch(logText, token, 'the token itself is not logged');
  const unauth = await fetch(`${svc.url}/v1/argocd/events`, { method: 'POST' });
  t.equal(unauth.status, 401);
  svc.child.kill('SIGTERM');
  t.equal(await svc.exited, 0);

  const again = await startServiceProcess(t, ['--embedded-defaults'], { HOOK_ALERTS_DATA_DIR: dataDir });
  t.equal(readFileSync(tokenFile, 'utf8').trim(), token, 'the same token is reused');
  again.child.kill('SIGTERM');
  t.equal(await again.exited, 0);
});

t.test('SIGTERM: stops accepting, finishes, exits 0', async (t) => {
  const dataDir = t.testdir({});
  const svc = await startServiceProcess(t, ['--insecure-no-auth'], { HOOK_ALERTS_DATA_DIR: dataDir });
  t.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  svc.child.kill('SIGTERM');
  t.equal(await svc.exited, 0);
  t.ok(svc.logs.some((l) => l.msg === 'stopped'));
  await t.rejects(fetch(`${svc.url}/healthz`), 'no longer listening');
});
