import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BUILT } from '../../support/cli-process.js';
import { REPO_ROOT } from '../../support/contract-bodies.js';
import { runToExit, spawnInGroup } from '../../support/process-groups.js';
import { pathForShell, SAMPLE_EVENT, sampleCurl } from '../../../src/commands/first-run.js';

const END_OF_NOTICE = 'Stop with Ctrl-C.\n';

t.test('npm start (serve --embedded-defaults) tells the user what to do, in one block on stderr', async (t) => {
  const dataDir = t.testdir({});
  const { child, exited } = spawnInGroup(t, process.execPath, [CLI_BUILT, 'serve', '--embedded-defaults'], {
    cwd: REPO_ROOT,
    // A user token and no channel: the warnings come with the notice, as the log lines they are.
    env: { PATH: process.env.PATH, HOME: dataDir, HOOK_ALERTS_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', SLACK_BOT_TOKEN: 'xoxp-a-user-token' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const notice = await new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes(END_OF_NOTICE)) resolve(stderr);
    });
    exited.then((code) => reject(new Error(`serve exited (${code}) before the notice: ${stderr}`)), reject);
  });
  const url = /^ {2}listening on {2}(http:\/\/127\.0\.0\.1:\d+)$/m.exec(notice)?.[1];
  t.ok(url, 'the URL it listens on');
  // Paths as typed from where it runs (the data dir of this test lies below the checkout).
  const tokenFile = pathForShell(join(dataDir, 'webhook-token'), REPO_ROOT);
  t.match(notice, `  webhook token ${tokenFile}\n`);
  t.match(notice, `  outbox        ${pathForShell(join(dataDir, 'outbox'), REPO_ROOT)}/ (each alert as the Slack JSON and the .eml that would be sent)\n`);
  const curl = sampleCurl({ tokenFile, eventFile: SAMPLE_EVENT.join('/'), baseUrl: url ?? '' });
  t.match(notice, curl.split('\n').map((l) => `  ${l}`).join('\n'), 'the exact curl, with the sample event shipped in samples/');
  t.match(notice, '  npx argocd-hook-alerts send-test --to file\n');
  t.notMatch(notice, readFileSync(join(dataDir, 'webhook-token'), 'utf8').trim(), 'the token itself is not printed');
  t.notMatch(notice, /^\{/m, 'plain text, not JSON');
  // The pino line stays, and so do the warnings, in the log on stdout.
  t.match(stdout, /"msg":"webhook token in /);
  t.match(stdout, /"level":40,.*"msg":"SLACK_BOT_TOKEN \(slack\.token\) is not a bot token/);

  // The printed curl works as printed, from where `npm start` runs.
  const posted = await runToExit(t, 'bash', ['--norc', '--noprofile', '-c', curl], { cwd: REPO_ROOT, env: { PATH: process.env.PATH } });
  t.equal(posted.code, 0, posted.stderr);
  t.match(posted.stdout, /^\{"incident":"inc_[^"]+","duplicate":false\}$/);

  child.kill('SIGTERM');
  t.equal(await exited, 0);
});

t.test('with a configured token there is no first-run notice', async (t) => {
  const dataDir = t.testdir({});
  const { child, exited } = spawnInGroup(t, process.execPath, [CLI_BUILT, 'serve', '--embedded-defaults'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: dataDir, HOOK_ALERTS_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', HOOK_ALERTS_TOKEN: 'a-configured-token-of-32-chars!!' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('argocd-hook-alerts is listening')) resolve();
    });
    exited.then((code) => reject(new Error(`serve exited (${code}): ${stderr}`)), reject);
  });
  child.kill('SIGTERM');
  t.equal(await exited, 0);
  t.equal(stderr, '', 'nothing on stderr: a deployment reads its logs on stdout');
});

t.test("the README's quick start shows the same curl and ships the same sample event", async (t) => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  t.match(readme, sampleCurl({ tokenFile: 'data/webhook-token', eventFile: SAMPLE_EVENT.join('/'), baseUrl: 'http://localhost:8080' }));
  t.equal(
    readFileSync(join(REPO_ROOT, ...SAMPLE_EVENT), 'utf8'),
    readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'events', 'presync-job-failed.json'), 'utf8'),
    'samples/events/ is the fixture the tests post',
  );
});
