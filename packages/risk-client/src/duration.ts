import { DurationError } from './errors.js';

// Nanoseconds per unit, exactly as Go's time.ParseDuration spells them (µ is U+00B5, μ is U+03BC).
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n],
  ['μs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Largest duration a Node timer can wait for (2^31 - 1 ms); longer values would fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a Go duration (`750ms`, `1.5s`, `1m30s`, `2h45m`, `300us`) into milliseconds.
 * Throws `DurationError` naming the problem for empty, malformed, zero, negative or too large values.
 */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let i = 0;
  let negative = false;
  if (text[0] === '-' || text[0] === '+') {
    negative = text[0] === '-';
    i = 1;
  }
  if (text.length === 0) throw new DurationError('empty', 'is empty (expected e.g. 750ms, 1.5s, 1m30s)');
  if (text.slice(i) === '0')
    throw new DurationError('zero', `${quoted} is zero; the duration must be positive`);
  if (i === text.length) throw new DurationError('malformed', `${quoted} has a sign but no duration`);

  let totalNs = 0n;
  while (i < text.length) {
    const start = i;
    while (isDigit(text[i])) i++;
    const whole = text.slice(start, i);
    let fraction = '';
    if (text[i] === '.') {
      i++;
      const fractionStart = i;
      while (isDigit(text[i])) i++;
      fraction = text.slice(fractionStart, i);
    }
    if (whole === '' && fraction === '') {
      throw new DurationError(
        'malformed',
        `${quoted} is not a Go duration (expected e.g. 750ms, 1.5s, 1m30s)`,
      );
    }
    const unitStart = i;
    while (i < text.length && text[i] !== '.' && !isDigit(text[i])) i++;
    const unit = text.slice(unitStart, i);
    if (unit === '') {
      throw new DurationError('missing_unit', `${quoted} has a number without a unit (ns, us, ms, s, m, h)`);
    }
    const unitNs = UNIT_NS.get(unit);
    if (unitNs === undefined) {
      throw new DurationError('unknown_unit', `${quoted} uses unknown unit "${unit}" (ns, us, ms, s, m, h)`);
    }
    // Go truncates a fraction finer than a nanosecond; so do we.
    totalNs += BigInt(whole || '0') * unitNs;
    if (fraction !== '') totalNs += (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
  }

  if (negative && totalNs > 0n)
    throw new DurationError('negative', `${quoted} is negative; the duration must be positive`);
  if (totalNs === 0n) throw new DurationError('zero', `${quoted} is zero; the duration must be positive`);
  const ms = Number(totalNs) / 1e6;
  if (ms > MAX_DURATION_MS) {
    throw new DurationError(
      'too_large',
      `${quoted} exceeds the maximum of ${MAX_DURATION_MS}ms (about 24 days)`,
    );
  }
  return ms;
}
