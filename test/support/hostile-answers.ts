// Generated hostile engine answers: schema-valid JSON (as JSON.parse yields it) full of what
// PostgreSQL refuses or mangles: lone surrogates, NUL, times outside timestamptz's range, huge and
// tiny numbers, over-long identifiers, echoed token pieces. Deterministic for a given seed.

/** A small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Times that look fine to JavaScript but not all to PostgreSQL, and some that are not times at all. */
export const HOSTILE_TIMES: readonly (string | null | undefined)[] = [
  '0000-01-01T00:00:00Z',
  '0000-12-31T23:59:59.999Z',
  '0000-06-15T12:00:00+00:00',
  '0001-01-01T00:00:00Z',
  '0001-01-01T00:30:00+01:00',
  '0001-01-01T00:00:00.001Z',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:30:00-01:00',
  '9999-12-31T23:59:59.999999999-23:59',
  '1970-01-01T00:00:00Z',
  '2026-02-29T00:00:00Z',
  '2024-02-29T12:00:00.123456789Z',
  '2026-01-01 10:00:00+05:30',
  '2026-01-01T00:00:00\u0000Z',
  '2026-01-01T00:00:00\ud800Z',
  'yesterday',
  '',
  null,
  undefined,
];

/** Numbers JSON can spell (finite) at the edges of float8 and numeric. */
const HOSTILE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e308,
  -1e308,
  5e-324,
  -5e-324,
  1e21,
  12345678901234567000,
  2 ** 53 + 1,
];

export interface HostileAnswerOptions {
  /** The players of the request; most signals name one of them (sometimes in another case). */
  playerIds: readonly string[];
  /** Echoed whole or in pieces inside strings. */
  token: string;
}

/** One hostile answer (the shape JSON.parse gives) from `random`. */
export function hostileAnswer(random: () => number, options: HostileAnswerOptions): Record<string, unknown> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const { token } = options;
  const pieces = [
    'a',
    'Z',
    ' ',
    '-',
    '_',
    '\u0000',
    '\ud800',
    '\udfff',
    '\udbff\udbff',
    '\ud83d\ude00',
    '\ud83d',
    'é',
    '\uffff',
    '\ufffe',
    '\\',
    '"',
    '\u2028',
    '\u001f',
    '\u007f',
    '[redacted]',
    token,
    token.slice(2, 12),
    token.slice(0, 7),
    'r'.repeat(199),
  ];
  const text = (max = 6): string => {
    const n = Math.floor(random() * (max + 1));
    let out = '';
    for (let i = 0; i < n; i++) out += pick(pieces);
    return out;
  };
  const maybe = <T>(value: () => T): T | null | undefined => {
    const r = random();
    return r < 0.1 ? null : r < 0.2 ? undefined : value();
  };
  const json = (depth: number): unknown => {
    const r = random();
    if (depth > 3 || r < 0.35) return text();
    if (r < 0.5) return pick(HOSTILE_NUMBERS);
    if (r < 0.55) return random() < 0.5;
    if (r < 0.6) return null;
    if (r < 0.62) return Number.POSITIVE_INFINITY; // what JSON.parse makes of 1e999
    if (r < 0.8) return Array.from({ length: Math.floor(random() * 4) }, () => json(depth + 1));
    return object(depth + 1);
  };
  const object = (depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const keys = Math.floor(random() * 5);
    for (let i = 0; i < keys; i++) out[random() < 0.3 ? text(2) : `k${i}${text(1)}`] = json(depth);
    return out;
  };
  const subject = (): string => {
    const r = random();
    const player = pick(options.playerIds);
    if (r < 0.7) return player;
    if (r < 0.8) return ` ${player.toUpperCase()} `;
    if (r < 0.9) return `${player}${pick(pieces)}`;
    return text();
  };
  const signals = Array.from({ length: Math.floor(random() * 8) }, () => {
    const signal: Record<string, unknown> = {
      subjectUserId: maybe(subject),
      signalType: maybe(() => text()),
      detectorKey: maybe(() => text()),
      detectorVersion: maybe(() => text(3)),
      severity: maybe(() => pick(['low', ' HIGH', 'critical\u0000', 'medium\ud800', text(2)])),
      evidenceStrength: maybe(() => pick(['very_high', 'Substantial ', 'weak\u0000', text(2)])),
      reasonCode: maybe(() => text()),
      recommendedQueue: maybe(() => random() < 0.5),
      score: maybe(() => pick(HOSTILE_NUMBERS)),
      payload: maybe(() => object(1)),
      occurredAt: pick(HOSTILE_TIMES),
    };
    for (const key of Object.keys(signal)) if (signal[key] === undefined) delete signal[key];
    return signal;
  });
  return {
    detectorVersion: random() < 0.2 ? `v${'9'.repeat(250)}${text(2)}` : text(4),
    factsVersion: random() < 0.5 ? 'match-facts/2026-01' : text(3),
    signals,
  };
}
