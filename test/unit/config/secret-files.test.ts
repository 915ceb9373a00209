import t from 'tap';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load-config.js';
import { HookAlertsError } from '../../../src/errors.js';

const TOKEN = 'file-token-0123456789abcdef';
const SLACK = 'xoxb-from-a-file';
const PASSWORD = 'p#ss/w%rd with spaces';

function loadError(env: NodeJS.ProcessEnv, file?: string): HookAlertsError {
  try {
    loadConfig({ env, ...(file === undefined ? {} : { file }) });
  } catch (err) {
    if (err instanceof HookAlertsError) return err;
    throw err;
  }
  throw new Error('expected a config error');
}

t.test('every secret setting is also read from <NAME>_FILE, one trailing newline dropped', async (t) => {
  const dir = t.testdir({ token: `${TOKEN}\n`, slack: `${SLACK}\r\n`, url: 'smtp://alerts@mail.example.com:587', password: `${PASSWORD}\n` });
  const config = loadConfig({
    env: {
      HOOK_ALERTS_TOKEN_FILE: join(dir, 'token'),
      SLACK_BOT_TOKEN_FILE: join(dir, 'slack'),
      SMTP_URL_FILE: join(dir, 'url'),
      SMTP_PASSWORD_FILE: join(dir, 'password'),
    },
  });
  t.equal(config.server.token, TOKEN);
  t.equal(config.server.tokenFile, join(dir, 'token'), 'the token file is kept, to be read again on rotation');
  t.equal(config.slack.token, SLACK);
  t.equal(config.email.smtpUrl, 'smtp://alerts@mail.example.com:587');
  t.equal(config.email.smtpPassword, PASSWORD, 'only the last line break goes: inner spaces and signs stay');
  const direct = loadConfig({ env: { HOOK_ALERTS_TOKEN: TOKEN, SMTP_URL: 'smtp://alerts@mail.example.com:587', SMTP_PASSWORD: PASSWORD } });
  t.equal(direct.server.tokenFile, undefined, 'a token from the variable itself has no file');
  t.equal(direct.email.smtpPassword, PASSWORD);
});

t.test('both <NAME> and <NAME>_FILE, an unreadable or empty file: config errors naming the variables, never the values', async (t) => {
  const dir = t.testdir({ token: `${TOKEN}\n`, empty: '\n' });
  const both = loadError({ HOOK_ALERTS_TOKEN: 'direct-token-0123456789', HOOK_ALERTS_TOKEN_FILE: join(dir, 'token') });
  t.equal(both.code, 'HA_ERR_CONFIG_INVALID');
  t.same(both.issues.map((i) => i.path), ['server.token (from HOOK_ALERTS_TOKEN and HOOK_ALERTS_TOKEN_FILE)']);
  t.match(both.issues[0]?.message, /both are set: keep one/);
  const missing = loadError({ SLACK_BOT_TOKEN_FILE: join(dir, 'nope'), SMTP_PASSWORD_FILE: join(dir, 'empty'), SMTP_URL: 'smtp://a@mail.example.com' });
  t.same(missing.issues.map((i) => i.path), ['slack.token (from SLACK_BOT_TOKEN_FILE)', 'email.smtpPassword (from SMTP_PASSWORD_FILE)'], 'every problem listed');
  t.match(missing.issues[0]?.message, `cannot read ${join(dir, 'nope')} (ENOENT): mount the secret at that path`);
  t.match(missing.issues[1]?.message, /is empty: write the secret into it/);
  for (const err of [both, missing]) t.notMatch(JSON.stringify(err.issues) + err.message, /token-0123456789/);
  const dirAsFile = loadError({ SMTP_URL_FILE: dir });
  t.match(dirAsFile.issues[0]?.message, /\(EISDIR\)/);
});

t.test('SMTP_PASSWORD goes with the user of SMTP_URL, and only there', async (t) => {
  const cases: [NodeJS.ProcessEnv, RegExp][] = [
    [{ SMTP_URL: 'smtp://alerts:inurl@mail.example.com:587', SMTP_PASSWORD: PASSWORD }, /SMTP_URL holds a password too: remove it from the URL/],
    [{ SMTP_URL: 'smtp://mail.example.com:587', SMTP_PASSWORD: PASSWORD }, /SMTP_URL names no user for the password/],
    [{ SMTP_PASSWORD: PASSWORD }, /an SMTP password without SMTP_URL/],
  ];
  for (const [env, message] of cases) {
    const err = loadError(env);
    t.same(err.issues.map((i) => i.path), ['email.smtpPassword (from SMTP_PASSWORD)']);
    t.match(err.issues[0]?.message, message);
    t.notMatch(JSON.stringify(err.issues), /inurl|p#ss/);
  }
});

t.test('server.tokenFile in the config file is refused: the environment names the token file', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'server:\n  tokenFile: /run/secrets/token\n' });
  const err = loadError({ HOOK_ALERTS_TOKEN: TOKEN }, join(dir, 'config.yaml'));
  t.same(err.issues.map((i) => i.path), ['server.tokenFile']);
  t.match(err.issues[0]?.message, /HOOK_ALERTS_TOKEN_FILE only/);
});
