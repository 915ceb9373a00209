import t from 'tap';
import { loadConfig } from '../../../src/config/load-config.js';
import { checkSmtpUrl } from '../../../src/config/smtp-url.js';
import { configWarnings } from '../../../src/config/config-warnings.js';
import { HookAlertsError } from '../../../src/errors.js';

function loadError(env: NodeJS.ProcessEnv, overrides = {}): HookAlertsError {
  try {
    loadConfig({ env, overrides });
  } catch (err) {
    if (err instanceof HookAlertsError) return err;
    throw err;
  }
  throw new Error('expected a config error');
}

t.test('checkSmtpUrl: smtp and smtps pass; a URL that does not parse, another scheme or no host fail without the URL', async (t) => {
  t.ok(checkSmtpUrl('smtp://user:p%23ss@mail.example.com:587').ok);
  t.ok(checkSmtpUrl('smtps://mail.example.com:465').ok);
  const cases = ['smtp://user:p#ss@mail.example.com:587', 'smtp://user:p ss@[bad:587', 'http://user:secret@mail.example.com', 'smtp://user:secret@:25', 'not a url at all'];
  for (const value of cases) {
    const check = checkSmtpUrl(value);
    t.equal(check.ok, false, value);
    if (!check.ok) {
      t.notMatch(check.message, /secret|p#ss|p ss/, `${value}: the password is not in the message`);
      t.match(check.message, /^SMTP_URL /, value);
    }
  }
});

t.test('loadConfig refuses an SMTP_URL nodemailer could not read, naming the variable', async (t) => {
  const err = loadError({ SMTP_URL: 'smtp://alerts:hunter#2@mail.example.com:587' });
  t.equal(err.code, 'HA_ERR_CONFIG_INVALID');
  t.equal(err.exitCode, 1);
  t.same(err.issues.map((i) => i.path), ['email.smtpUrl (from SMTP_URL)']);
  t.notMatch(err.message, 'hunter');
  t.match(err.message, /percent-encode special characters of the password, e\.g\. # as %23/);
});

t.test('a secret of the wrong type is hidden, not echoed', async (t) => {
  const err = loadError({}, { server: { token: 1234567890123456 }, slack: { token: true } });
  t.notMatch(err.message, /1234567890/);
  t.match(err.message, /server\.token: .*found a hidden number/);
  t.match(err.message, /slack\.token: .*found a hidden boolean/);
});

t.test('configWarnings: Slack token kind, Slack without a channel, email without sender or recipients', async (t) => {
  const warn = (env: NodeJS.ProcessEnv): string[] => configWarnings(loadConfig({ env }));
  t.same(warn({}), []);
  t.same(warn({ SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_CHANNEL: 'C0123' }), []);
  t.match(warn({ SLACK_BOT_TOKEN: 'https://hooks.slack.com/services/T/B/X', SLACK_CHANNEL: 'C0123' }), [/is not a bot token/]);
  t.match(warn({ SLACK_BOT_TOKEN: 'xoxb-1' }), [/no route names a Slack channel/]);
  t.same(warn({ SMTP_URL: 'smtp://mail.example.com', EMAIL_FROM: 'a@example.com', EMAIL_TO: 'b@example.com' }), []);
  t.match(warn({ SMTP_URL: 'smtp://mail.example.com' }), [/EMAIL_FROM is not/, /no route names an email address/]);
  t.match(warn({ SLACK_CHANNEL: 'C0123' }), [/names a Slack channel but no Slack token is set/]);
  t.match(warn({ EMAIL_TO: 'oncall@example.com' }), [/names an email address but SMTP_URL \(email\.smtpUrl\) is not set/]);
  for (const w of warn({ SLACK_BOT_TOKEN: 'xoxp-secret-value' })) t.notMatch(w, 'secret-value', 'the token is never in a warning');
});
