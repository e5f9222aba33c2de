import { describe, expect, it } from 'vitest';
import { MIN_SECRET_FRAGMENT, REDACTED, secretRedactor } from './secret-redactor.js';

const TOKEN = 'Sx9-live-7f3a2c1e0b9d';

describe('secretRedactor', () => {
  const redact = secretRedactor(TOKEN);

  it('replaces the whole token, every time it appears, by one marker each', () => {
    expect(redact(`a ${TOKEN} b ${TOKEN}`)).toBe(`a ${REDACTED} b ${REDACTED}`);
    expect(redact(`Bearer ${TOKEN}`)).toBe(`Bearer ${REDACTED}`);
  });

  it(`replaces any fragment of at least ${MIN_SECRET_FRAGMENT} characters, and leaves shorter ones`, () => {
    const head = TOKEN.slice(0, MIN_SECRET_FRAGMENT);
    const middle = TOKEN.slice(5, 5 + MIN_SECRET_FRAGMENT + 3);
    const tail = TOKEN.slice(-MIN_SECRET_FRAGMENT);
    const short = TOKEN.slice(2, 2 + MIN_SECRET_FRAGMENT - 1);
    expect(redact(`[${head}]`)).toBe(`[${REDACTED}]`);
    expect(redact(`(${middle})`)).toBe(`(${REDACTED})`);
    expect(redact(`${tail}…`)).toBe(`${REDACTED}…`);
    expect(redact(`(${short})`)).toBe(`(${short})`);
  });

  it('scrubs the token as escaped inside a JSON string', () => {
    const quoted = secretRedactor('tok"en\\with-quotes-1234');
    const escaped = JSON.stringify('tok"en\\with-quotes-1234').slice(1, -1);
    expect(quoted(`{"echo":"${escaped}"}`)).toBe(`{"echo":"${REDACTED}"}`);
  });

  it('returns the very same string when there is nothing to scrub', () => {
    const text = `an ordinary detail mentioning live tokens and 7f3a but no secret ${'x'.repeat(1000)}`;
    expect(redact(text)).toBe(text);
    expect(redact('')).toBe('');
  });

  it('replaces a token shorter than a fragment only where it appears whole', () => {
    const short = secretRedactor('abc');
    expect(short('xabcx ab')).toBe(`x${REDACTED}x ab`);
  });
});
