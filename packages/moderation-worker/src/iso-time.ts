// Formatting epoch milliseconds as RFC 3339 UTC text, exactly as Date#toISOString does for years
// 1000-9999. The facts of one match carry ~100 event times; toISOString allocates a Date and costs
// ~400 ns a call (about a tenth of the worker's CPU per match at full load), this ~120 ns.

const MS_PER_DAY = 86_400_000;
// Years Date#toISOString writes as four plain digits, as epoch milliseconds: [1000-01-01, 10000-01-01).
const FIRST_MS = -30_610_224_000_000;
const END_MS = 253_402_300_800_000;

/** `ms` since the epoch as `YYYY-MM-DDTHH:mm:ss.sssZ` (same text as `new Date(ms).toISOString()`). */
export function isoFromEpochMs(ms: number): string {
  if (!Number.isInteger(ms) || ms < FIRST_MS || ms >= END_MS) return new Date(ms).toISOString();
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  // Civil date from days since 1970-01-01 in the proleptic Gregorian calendar (eras of 400 years,
  // years starting on 1 March so the leap day comes last).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.${three(milli)}Z`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function three(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}
