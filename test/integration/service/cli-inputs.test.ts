import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuiltCli } from '../../support/cli-process.js';
import { REPO_ROOT } from '../../support/contract-bodies.js';

// README: exit codes 0 success, 1 invalid input or config, 2 usage. The inputs of send-test, --version and
// commands given without what they need, on the built CLI (the config and start-up side is in
// commands-keep-promises.test.ts).

function env(dataDir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dataDir, HOOK_ALERTS_DATA_DIR: dataDir };
}

t.test('send-test --fixture file missing or invalid: exit 1 with a readable message (an unknown sample name: 2)', async (t) => {
  const dir = t.testdir({ 'not-json.json': '{"metadata": ', 'not-an-app.json': '{"kind": "ConfigMap", "metadata": {"name": "x"}}' });
  const run = (fixture: string) => runBuiltCli(t, ['send-test', '--to', 'file', '--fixture', fixture], { env: env(dir) });
  const [unknown, missing, notJson, notApp] = await Promise.all([run('no-such-sample'), run(join(dir, 'missing.json')), run(join(dir, 'not-json.json')), run(join(dir, 'not-an-app.json'))]);
  t.equal(unknown.code, 2, 'a name that is no sample is a wrong option value, like --to pager');
  t.match(unknown.stderr, /^argocd-hook-alerts: unknown fixture "no-such-sample": use one of .*presync-job-failed.*, or the path of an Application JSON file/);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^argocd-hook-alerts: cannot read --fixture .*missing\.json \(no such file\): use one of/);
  t.equal(notJson.code, 1);
  t.match(notJson.stderr, /^argocd-hook-alerts: --fixture .*not-json\.json is not valid JSON \(/);
  t.equal(notApp.code, 1);
  t.equal(notApp.stderr, `argocd-hook-alerts: --fixture ${join(dir, 'not-an-app.json')} is not an Argo CD Application this service can read (kubectl get application NAME -o json):\n  - metadata.namespace: Invalid input: expected string, received undefined\n`);
  t.notMatch(notApp.stderr, /"code":|"path":/, 'no raw zod issue array');
});

t.test('--version prints the version of package.json; commands without their arguments are usage errors', async (t) => {
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const res = await runBuiltCli(t, ['--version']);
  t.equal(res.code, 0);
  t.equal(res.stdout, `${version}\n`);
  const runs = await Promise.all([[], ['generate'], ['validate'], ['lint'], ['send-test'], ['deliveries'], ['deliveries', 'retry']].map((args) => runBuiltCli(t, args)));
  runs.forEach((run, i) => {
    t.equal(run.code, 2, `argv #${i}: ${run.stderr.split('\n')[0] ?? ''}`);
    t.match(run.stderr, /Usage: argocd-hook-alerts|error: (missing|required option)/, `argv #${i}: help or the missing part on stderr`);
  });
});

t.test('send-test --to file with the outbox where no directory can be made: exit 1, no spinning', async (t) => {
  // Under /proc mkdir answers ENOENT, on which Node's recursive mkdir loops at 100 % CPU forever.
  const res = await runBuiltCli(t, ['send-test', '--to', 'file'], { env: { PATH: process.env.PATH, HOME: t.testdir(), HOOK_ALERTS_DATA_DIR: '/proc/nope' } });
  t.equal(res.code, 1, res.stderr);
  t.match(res.stderr, /\/proc\/nope/, 'the message names the folder');
});
