import t from 'tap';
import { createTokenCheck } from '../../../src/intake/auth.js';

t.test('bearer token check', async (t) => {
  const check = createTokenCheck(() => 's3cret-token-0123456789');
  t.equal(check(undefined), 'missing');
  t.equal(check(''), 'missing');
  t.equal(check('Bearer s3cret-token-0123456789'), 'ok');
  t.equal(check('bearer s3cret-token-0123456789'), 'ok', 'scheme is case-insensitive (RFC 7235)');
  t.equal(check('Bearer s3cret-token-012345678'), 'invalid', 'a prefix of the token is not the token');
  t.equal(check('Bearer s3cret-token-0123456789x'), 'invalid');
  t.equal(check('Basic czNjcmV0'), 'invalid');
  t.equal(check('s3cret-token-0123456789'), 'invalid', 'the scheme is required');
});

t.test('no token configured accepts every caller', async (t) => {
  const check = createTokenCheck(null);
  t.equal(check(undefined), 'ok');
});
