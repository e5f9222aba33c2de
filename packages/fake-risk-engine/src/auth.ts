import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a request was refused, for the 401 body. */
export type AuthFailure = 'missing_token' | 'invalid_token';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * A bearer-token check. Both sides are hashed first so `timingSafeEqual` always compares two
 * 32-byte digests: neither the token's content nor its length leaks through timing.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => AuthFailure | null {
  const expected = digest(token);
  return (authorization) => {
    const match = authorization === undefined ? null : /^bearer[ \t]+(\S.*?)[ \t]*$/i.exec(authorization);
    if (!match) return 'missing_token';
    return timingSafeEqual(digest(match[1]!), expected) ? null : 'invalid_token';
  };
}
