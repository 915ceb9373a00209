import { createHash, timingSafeEqual } from 'node:crypto';

export type TokenVerdict = 'ok' | 'missing' | 'invalid';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * A bearer-token check in constant time: both sides are hashed to equal-length digests first, so neither
 * the token's length nor its prefix leaks through timing. `token` answers the current token (it changes
 * when a token file is rotated); `null` accepts every caller (--insecure-no-auth).
 */
export function createTokenCheck(token: (() => string) | null): (authorization: string | undefined) => TokenVerdict {
  if (token === null) return () => 'ok';
  let current = token();
  let expected = digest(current);
  return (authorization) => {
    if (authorization === undefined || authorization === '') return 'missing';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match?.[1] === undefined) return 'invalid';
    const now = token();
    if (now !== current) {
      current = now;
      expected = digest(now);
    }
    return timingSafeEqual(digest(match[1]), expected) ? 'ok' : 'invalid';
  };
}
