import t from 'tap';
import fc from 'fast-check';
import { BUILTIN_RULES, checkScrubPattern, createScrubber, scrubDeep } from '../../../src/enrich/scrub.js';

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
    ],
    negative: ['-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----', 'loading private key from /etc/tls/key.pem'],
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
    ],
    negative: ['ghp_short', 'xoxo-gossip'],
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
    ],
    negative: [
      'FATAL: password authentication failed for user "app"',
      '        secretName: db-credentials',
      'max_tokens: 100',
      'password_file: /run/secrets/db',
      'Enter password:',
      'token count = 5',
    ],
  },
  'secret-flag': {
    positive: [['migrate --password hunter2 --host db', 'hunter2', '--host db']],
    negative: ['migrate --password-file /run/pw', 'flyway -password=  '],
  },
};

t.test('every built-in rule has positive and negative examples', async (t) => {
  for (const rule of BUILTIN_RULES) {
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
