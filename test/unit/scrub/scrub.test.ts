import t from 'tap';
import fc from 'fast-check';
import { checkScrubPattern, createScrubber, scrubDeep } from '../../../src/scrub/scrub.js';
import { PROJECT_RULES } from '../../../src/scrub/project-rules.js';
import { SECRETLINT_LEFT_OUT, secretlintRules } from '../../../src/scrub/secretlint-rules.js';

const scrub = createScrubber();

// Per rule: texts where the secret must disappear (and what must be left around it), and texts that must
// come out unchanged because they only look like one.
const CASES: Record<string, { positive: [string, string, string?][]; negative: string[] }> = {
  'private-key': {
    positive: [
      [
        'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1L7VLPHCgcGIgoXX\n-----END RSA PRIVATE KEY-----\nnext line',
        'MIIEowIBAAKCAQEAu1SU1L7VLPHCgcGIgoXX',
        'next line',
      ],
      ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5v', 'b3BlbnNzaC1rZXktdjEAAAAABG5v'],
      [
        '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBn\nFATAL: could not load key',
        'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBn',
        'FATAL: could not load key',
      ],
      [
        '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\nxEncryptedBody==\n-----END RSA PRIVATE KEY-----',
        'xEncryptedBody',
      ],
      ['-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF0\n-----END PGP PRIVATE KEY BLOCK-----', 'lQOYBF0'],
      ['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----', 'MIIEvQIBADANBg'],
      [
        'TS -----BEGIN RSA PRIVATE KEY-----\nTS MIIEowIBAAKCAQEAu1SU1L7VLPHCgcGIgoXX\nTS Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4\nTS -----END RSA PRIVATE KEY-----\nTS migration 42 failed'.replaceAll('TS', '2026-11-20T14:07:00.000000001Z'),
        'Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4',
        'migration 42 failed',
      ],
      ['u1SU1L7VLPHCgcGIgoXXMIIEowIBAAKC\nZm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4\nAB==\n-----END RSA PRIVATE KEY-----\nnext', 'Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4', 'next'],
      ['"key": "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBkg\\n-----END EC PRIVATE KEY-----", "x": 1', 'MHcCAQEEIBkg', '"x": 1'],
    ],
    negative: ['-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----', 'loading private key from /etc/tls/key.pem'],
  },
  'kube-secret-data': {
    positive: [
      [
        'apiVersion: v1\ndata:\n  DB_HOST: ZGIuaW50ZXJuYWw=\n  config.json: eyJ1c2VyIjoiYXBwIn0=\nkind: Secret\nmetadata:\n  name: db',
        'ZGIuaW50ZXJuYWw=',
        'kind: Secret',
      ],
      ['  data:\n    tls.key: LS0tLS1CRUdJTiBQUklWQVRF\n  type: Opaque', 'LS0tLS1CRUdJTiBQUklWQVRF', 'type: Opaque'],
      ['{"apiVersion":"v1","data":{"url":"cG9zdGdyZXM6Ly9h","user":"YXBw"},"kind":"Secret"}', 'cG9zdGdyZXM6Ly9h', '"kind":"Secret"'],
      ['"data": {\n    "API_KEY": "c2stbGl2ZS0xMjM0",\n    "X": "eA=="\n},', 'c2stbGl2ZS0xMjM0', '"API_KEY": "'],
    ],
    negative: ['data:\nnext: value', 'metadata:\n  name: db-credentials', 'loading data: 42 rows'],
  },
  'secret-phrase': {
    positive: [
      ['passphrase: correct horse battery staple', 'horse battery staple', 'passphrase: '],
      ['db.password = open sesame now\nnext line', 'sesame now', 'next line'],
      ['  RAILS_MASTER_KEY: 0a1b2c3d 4e5f', '4e5f'],
    ],
    negative: ['password: ', 'the password is wrong', 'passphrase policy: three words'],
  },
  'mysql-password-flag': {
    positive: [
      ['mysql -h db -u root -pMy5ql!Pw payments < dump.sql', 'My5ql!Pw', ' payments < dump.sql'],
      ["mysqldump -uroot -p'two words' app", 'two words'],
    ],
    negative: ['mysql -h db -u root -p payments', 'ps -p 42', 'mkdir -p /tmp/x'],
  },
  'user-password-flag': {
    positive: [
      ['curl -sS -u deploy:Cu7lPw https://nexus/api', 'Cu7lPw', ' https://nexus/api'],
      ['curl --user "ci:pw-2" http://x', 'pw-2'],
    ],
    negative: ['curl -u deploy https://x', 'sort -u file.txt', 'useradd -u 1000 app'],
  },
  sshpass: {
    positive: [
      ['sshpass -p S5hPw ssh deploy@host', 'S5hPw', ' ssh deploy@host'],
      ["sshpass -p 'a b' scp x y:", 'a b'],
    ],
    negative: ['sshpass -f /run/pw ssh host', 'sshpass -e ssh host'],
  },
  'aws-configure-set': {
    positive: [['aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG --profile ci', 'wJalrXUtnFEMI/K7MDENG', ' --profile ci']],
    negative: ['aws configure list', 'aws s3 ls s3://bucket'],
  },
  'oracle-credentials': {
    positive: [
      ['url=jdbc:oracle:thin:scott/Tig3r@db.internal:1521/ORCL', 'Tig3r', '@db.internal:1521/ORCL'],
      ['sqlplus -s migrator/Or4cle@//db:1521/app @migrate.sql', 'Or4cle'],
    ],
    negative: ['jdbc:oracle:thin:@db.internal:1521/ORCL', 'sqlplus /nolog'],
  },
  'pgpass-line': {
    positive: [
      ['db.internal:5432:payments:migrator:Pgp4ss-w0rd\nnext', 'Pgp4ss-w0rd', 'next'],
      ['*:*:*:postgres:s3cret', 's3cret'],
    ],
    negative: ['2026-11-20 14:07:00: ERROR: x', 'listening on 0.0.0.0:8080', 'a:1:b:c'],
  },
  'url-credentials': {
    positive: [
      ['connecting to postgres://app:s3cr3t-P4ss@db.internal:5432/payments', 's3cr3t-P4ss', 'postgres://app:'],
      ['DATABASE_URL=mysql://root:hunter2@10.0.0.5/app', 'hunter2', '@10.0.0.5/app'],
      ['redis://:p4ssw0rd@cache:6379/0', 'p4ssw0rd', 'cache:6379'],
      ['amqp://guest:we@ird@rabbit/', 'we@ird', 'rabbit/'],
    ],
    negative: ['see https://example.com/docs/migrations', 'postgres://db.internal:5432/payments', 'git@github.com:org/repo.git'],
  },
  authorization: {
    positive: [
      ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA', 'Authorization: Basic '],
      ['{"Authorization": "Bearer abc.def.ghi"}', 'abc.def.ghi', '"Authorization": "Bearer '],
      ['authorization=Token 0123456789', '0123456789'],
    ],
    negative: ['authorization failed for user app', 'Authorization header missing'],
  },
  bearer: {
    positive: [['curl -H "x: Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc"', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'Bearer ']],
    negative: ['the bearer token is invalid', 'Bearer realm="api"'],
  },
  jwt: {
    positive: [
      [
        'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U used',
        'eyJzdWIiOiIxMjM0In0',
        ' used',
      ],
    ],
    negative: ['eyJ is how base64 JSON starts', 'version 1.2.3'],
  },
  'aws-access-key-id': {
    positive: [['aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', 'aws_access_key_id = ']],
    negative: ['AKIA is a prefix', 'XAKIAIOSFODNN7EXAMPLEX', 'akiaiosfodnn7example'],
  },
  'token-formats': {
    positive: [
      ['GITHUB_TOKEN is ghp_1234567890abcdefghijklmnopqrstuvwxyzAB', 'ghp_1234567890abcdefghijklmnopqrstuvwxyzAB'],
      ['slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp', 'xoxb-123456789012'],
      ['maps AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY ok', 'AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY', ' ok'],
      ['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', 'TwL2iGABf9DHoTf'],
      ['sk-proj-Ab3dEf5hIj7lMn9pQr1tUv3xYz5bCd7fGh9jKl1n', 'Ab3dEf5hIj7lMn9pQr1tUv3xYz5bCd7fGh9jKl1n'],
      ['VAULT_TOKEN used hvs.CAESIJ5o1qQ5J3Xo9q2bT0e8', 'CAESIJ5o1qQ5J3Xo9q2bT0e8'],
      ['charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ],
    negative: ['ghp_short', 'xoxo-gossip', 'AIza is a prefix', 'hvs.short', 'task-proj-plan'],
  },
  'secret-pair': {
    positive: [
      ['PGPASSWORD=hunter2 psql -h db', 'hunter2', ' psql -h db'],
      ['password: "correct horse battery"', 'correct horse battery', 'password: "'],
      ["db.password='x y z'", 'x y z'],
      ['{"password":"p@ss","user":"app"}', 'p@ss', '"user":"app"'],
      ['  client_secret: 9f8e7d6c5b4a', '9f8e7d6c5b4a'],
      ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      ['https://api.example.com/v1?api_key=abc123&page=2', 'abc123', '&page=2'],
      ['Server=db;User Id=app;Password=Pa55w0rd;', 'Pa55w0rd', 'User Id=app;'],
      ['SECRET=topsecret', 'topsecret'],
      ['token: ya29.a0AfH6SMB', 'ya29.a0AfH6SMB'],
      ['passwd=abc', 'abc'],
      ['DB_PASS=hunter2 ./migrate', 'hunter2', ' ./migrate'],
      ['SECRET_KEY_BASE=9f8e7d6c5b4a3f2e1d', '9f8e7d6c5b4a3f2e1d'],
      ['RAILS_MASTER_KEY=0a1b2c3d4e5f6a7b', '0a1b2c3d4e5f6a7b'],
      ['DefaultEndpointsProtocol=https;AccountName=st;AccountKey=Zm9vYmFy+/x==;EndpointSuffix=core.windows.net', 'Zm9vYmFy+/x==', 'EndpointSuffix='],
      ['Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0a2V5=', 'c2VjcmV0a2V5='],
      ['https://st.blob.core.windows.net/c?sv=2022&sig=AbCdEf%2B123&se=2026', 'AbCdEf%2B123', '&se=2026'],
    ],
    negative: [
      'FATAL: password authentication failed for user "app"',
      '        secretName: db-credentials',
      'max_tokens: 100',
      'password_file: /run/secrets/db',
      'Enter password:',
      'token count = 5',
      'bypass=true',
      'compass: north',
    ],
  },
  'secret-flag': {
    positive: [
      ['migrate --password hunter2 --host db', 'hunter2', '--host db'],
      ['flyway --db-password Fly-pw9 migrate', 'Fly-pw9', ' migrate'],
    ],
    negative: ['migrate --password-file /run/pw', 'flyway -password=  '],
  },
};

t.test("every project rule has positive and negative examples", async (t) => {
  for (const rule of PROJECT_RULES) {
    const c = CASES[rule.id];
    t.ok(c !== undefined && c.positive.length > 0 && c.negative.length > 0, `examples for ${rule.id}`);
  }
});

for (const [id, { positive, negative }] of Object.entries(CASES)) {
  t.test(`rule ${id}`, async (t) => {
    for (const [input, secret, kept] of positive) {
      const out = scrub(input);
      t.notOk(out.includes(secret), `hides ${JSON.stringify(secret)} in ${JSON.stringify(input)} -> ${JSON.stringify(out)}`);
      t.ok(out.includes('[REDACTED'), `marks the redaction in ${JSON.stringify(out)}`);
      if (kept !== undefined) t.ok(out.includes(kept), `keeps ${JSON.stringify(kept)} in ${JSON.stringify(out)}`);
      t.equal(scrub(out), out, 'scrubbing twice changes nothing');
    }
    for (const input of negative) t.equal(scrub(input), input, `leaves ${JSON.stringify(input)} alone`);
  });
}

t.test('a JSON document stays valid JSON after scrubbing', async (t) => {
  t.equal(scrub('{"token": 123, "x": 1}'), '{"token": [REDACTED], "x": 1}', 'an unquoted JSON value ends at its comma');
  const doc = JSON.stringify({ user: 'app', password: 'p"w', nested: { token: 'abc', url: 'postgres://a:b@h/db' } });
  const out = scrub(doc);
  const parsed = JSON.parse(out) as { password: string; nested: { token: string; url: string } };
  t.equal(parsed.nested.token, '[REDACTED]');
  t.equal(parsed.nested.url, 'postgres://a:[REDACTED]@h/db');
  t.notOk(out.includes('abc'));
});

t.test('configured patterns', async (t) => {
  const custom = createScrubber(['cust-[0-9]{6}', 'IBAN [A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}']);
  t.equal(custom('customer cust-123456 paid'), 'customer [REDACTED] paid');
  t.equal(custom('IBAN DE89370400440532013000 ok'), '[REDACTED] ok');
  t.equal(custom('cust-12345 is too short'), 'cust-12345 is too short', 'a near miss is kept');
  t.equal(custom('password=x'), 'password=[REDACTED]', 'built-in rules still apply');
});

t.test('bad configured patterns are refused with the reason', async (t) => {
  t.match(checkScrubPattern('([a-z]'), /invalid regular expression/);
  t.match(checkScrubPattern('x*'), /empty string/);
  t.match(checkScrubPattern('(a+)+b'), /nested quantifier/);
  t.match(checkScrubPattern('(\\w*x)+'), /nested quantifier/);
  t.match(checkScrubPattern('(?:ab|c{2,})+'), /nested quantifier/);
  t.equal(checkScrubPattern('(ab)+'), null, 'a repeated group without an inner quantifier is fine');
  t.equal(checkScrubPattern('cust-[0-9]{6}'), null);
  t.throws(() => createScrubber(['(a+)+']), /scrub\.patterns\.0: .*nested quantifier/);
});

t.test('scrubDeep reaches every string', async (t) => {
  const out = scrubDeep({ a: ['password=x', { b: 'token: y' }], n: 3, z: null }, scrub);
  t.same(out, { a: ['password=[REDACTED]', { b: 'token: [REDACTED]' }], n: 3, z: null });
});

t.test('property: a secret value planted in random log text never survives', async () => {
  const word = fc.stringMatching(/^[a-z0-9 .:=/-]{0,40}$/);
  const secret = fc.stringMatching(/^[A-Za-z0-9]{12,30}$/);
  const form = fc.constantFrom(
    (s: string) => `password=${s}`,
    (s: string) => `"token": "${s}"`,
    (s: string) => `api_key: ${s}`,
    (s: string) => `postgres://app:${s}@db/x`,
    (s: string) => `Authorization: Bearer ${s}`,
  );
  fc.assert(
    fc.property(word, secret, form, word, (before, s, f, after) => {
      const out = scrub(`${before}\n${f(s)}\n${after}`);
      return !out.includes(s) && scrub(out) === out;
    }),
    { numRuns: 300 },
  );
});

// secretlint's recommended preset (its rules are tested upstream): the vendor tokens it adds, found without
// a key name, and proof that every one of its scanners runs synchronously on a plain text.
t.test('secretlint preset: vendor tokens without a key name', async (t) => {
  const ids = secretlintRules().map((r) => r.id);
  // Version 11 (the last for Node 20) has no Stripe or GitLab rule: the project's token-formats rule covers them.
  t.ok(ids.includes('secretlint-aws') && ids.includes('secretlint-github') && ids.includes('secretlint-slack'), `preset rules loaded: ${ids.join(', ')}`);
  t.notOk(ids.some((id) => SECRETLINT_LEFT_OUT.includes(id.replace('secretlint-', '@secretlint/secretlint-rule-'))), 'left-out rules do not run');
  const vault = `hvs.${'CAESIJ5o1qQ5J3Xo9q2bT0e8oYdXhKpYbU4ZcVvLrS0aBcDeGh4KHGh2cy5'.repeat(2)}`;
  const tokens = [
    'glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn',
    'https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/AbCdEfGhIjKlMnOpQrStUvWx',
    'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
    vault,
  ];
  for (const token of tokens) {
    const out = scrub(`step 3 used ${token} and failed`);
    t.notOk(out.includes(token), `hides ${token.slice(0, 24)}… -> ${out}`);
    t.ok(out.endsWith(' and failed'), 'keeps the text around it');
  }
  const found: { start: number; end: number; label: string }[] = [];
  for (const rule of secretlintRules()) t.doesNotThrow(() => rule.find('plain text\nwith lines', found), `${rule.id} runs synchronously`);
});

t.test('pathological inputs complete (timings are in bench/scrub-bench.ts)', async (t) => {
  for (const unit of ['a', 'password=', 'mysql ', '-----BEGIN RSA PRIVATE KEY-----\n', 'data:\n  k: ', 'SG.', 'eyJ', 'xoxb-', 'a:1:b:c:']) {
    const input = unit.repeat(Math.ceil(65536 / unit.length)).slice(0, 65536);
    t.type(scrub(input), 'string', `${JSON.stringify(unit)} × 64 KiB`);
  }
});
