import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { HookAlertsError } from '../../../src/errors.js';
import { REPO_ROOT } from '../../support/contract-bodies.js';

const DEFAULT_YAML = join(REPO_ROOT, 'config', 'default.yaml');

function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([k, v]) => leafPaths(v, prefix === '' ? k : `${prefix}.${k}`));
}

t.test('config/default.yaml documents exactly the schema defaults', async (t) => {
  const documented = configSchema.parse(parse(readFileSync(DEFAULT_YAML, 'utf8')));
  const defaults = configSchema.parse({});
  t.same(documented, defaults, 'no value in default.yaml differs from the schema default');
  const yamlText = readFileSync(DEFAULT_YAML, 'utf8');
  for (const path of leafPaths(defaults)) {
    const key = path.split('.').at(-1) ?? path;
    t.match(yamlText, new RegExp(`\\b${key}:`), `default.yaml mentions ${path}`);
  }
});

t.test('environment variables of the public interface', async (t) => {
  const config = loadConfig({
    env: {
      HOOK_ALERTS_TOKEN: 'a-long-enough-token-123',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      SMTP_URL: 'smtp://u:p@127.0.0.1:2525',
      EMAIL_FROM: 'alerts@example.com',
      EMAIL_TO: 'a@example.com, b@example.com',
      SLACK_CHANNEL: '#deploys',
      HOOK_ALERTS_DATA_DIR: '/tmp/x',
      PORT: '9090',
      HOST: '127.0.0.1',
    },
  });
  t.equal(config.server.token, 'a-long-enough-token-123');
  t.equal(config.server.port, 9090);
  t.equal(config.server.host, '127.0.0.1');
  t.equal(config.dataDir, '/tmp/x');
  t.equal(config.slack.token, 'xoxb-1');
  t.equal(config.slack.apiUrl, 'http://127.0.0.1:9/api/');
  t.equal(config.email.smtpUrl, 'smtp://u:p@127.0.0.1:2525');
  t.same(config.routing.defaultRoute.email, ['a@example.com', 'b@example.com']);
  t.same(config.routing.defaultRoute.slack, ['#deploys']);
  t.ok(Object.isFrozen(config.server), 'the config is frozen');
});

t.test('precedence: flags over environment over file over defaults', async (t) => {
  const dir = t.testdir({ 'c.yaml': 'server:\n  port: 7000\n  host: 10.0.0.1\nlogging:\n  level: debug\n' });
  const file = join(dir, 'c.yaml');
  const fromFile = loadConfig({ file, env: {} });
  t.equal(fromFile.server.port, 7000);
  t.equal(fromFile.server.bodyLimitBytes, 4 * 1024 * 1024, 'unset keys keep their defaults (deep merge)');
  const fromEnv = loadConfig({ file, env: { PORT: '7100' } });
  t.equal(fromEnv.server.port, 7100);
  t.equal(fromEnv.server.host, '10.0.0.1');
  const fromFlags = loadConfig({ file, env: { PORT: '7100' }, overrides: { server: { port: 7200 } } });
  t.equal(fromFlags.server.port, 7200);
  const viaEnvPath = loadConfig({ env: { HOOK_ALERTS_CONFIG: file } });
  t.equal(viaEnvPath.logging.level, 'debug', 'HOOK_ALERTS_CONFIG names the file');
});

t.test('an invalid config lists every problem with path, found and expected', async (t) => {
  const dir = t.testdir({
    'bad.yaml': [
      'server:',
      '  port: "eighty"',
      '  token: short',
      'hooks:',
      '  types: [PreSync, PreSink]',
      'worker:',
      '  retry:',
      '    factr: 2',
      'sparkle: true',
    ].join('\n'),
  });
  const err = t.throws(() => loadConfig({ file: join(dir, 'bad.yaml'), env: { PORT: 'x80' } })) as HookAlertsError;
  t.ok(err instanceof HookAlertsError);
  t.equal(err.code, 'HA_ERR_CONFIG_INVALID');
  const paths = err.issues.map((i) => i.path);
  t.ok(paths.includes('server.port (from PORT)'), 'the environment variable is named');
  t.ok(paths.includes('server.token'));
  t.ok(paths.includes('hooks.types.1'));
  t.ok(paths.includes('worker.retry'), 'unknown nested key');
  t.ok(paths.includes(''), 'unknown top-level key');
  t.match(err.message, /found "x80"/);
  t.match(err.message, /expected number/);
  t.match(err.message, /"PreSink"/);
  t.match(err.message, /"PreSync"\|"Sync"\|"PostSync"\|"SyncFail"/);
  t.match(err.message, /factr/);
  t.match(err.message, /sparkle/);
  t.notMatch(err.message, /short/, 'a secret value is never printed');
  t.match(err.message, /hidden value of 5 characters/);
});

t.test('unreadable and malformed files say which file and why', async (t) => {
  t.throws(() => loadConfig({ file: '/nonexistent/hook-alerts.yaml', env: {} }), {
    code: 'HA_ERR_CONFIG_FILE',
    message: /\/nonexistent\/hook-alerts\.yaml.*ENOENT/,
  });
  const dir = t.testdir({ 'broken.yaml': 'server:\n  port: [1,\n', 'list.yaml': '- a\n- b\n' });
  t.throws(() => loadConfig({ file: join(dir, 'broken.yaml'), env: {} }), { message: /invalid YAML.*line 3/s });
  t.throws(() => loadConfig({ file: join(dir, 'list.yaml'), env: {} }), { message: /top level must be a mapping/ });
});
