import { describe, expect, it } from 'vitest';
import type { RepairReason } from './normalization-counts.js';
import {
  MAX_IDENTIFIER_LENGTH,
  normalizeAnswer,
  normalizeOccurredAt,
  normalizeSignals,
} from './normalize.js';
import { MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH } from './payload.js';
import { FACTS_VERSION, type RawSignal } from './schema.js';
import { secretRedactor } from './secret-redactor.js';
import type { RiskSignal } from './signals.js';
import { PLAYER_A, PLAYER_B } from './test-support/fixtures.js';

const NOW = new Date('2026-03-04T05:06:07.000Z');
const context = { playerIds: new Set([PLAYER_A, PLAYER_B]), now: NOW };

// A fully specified raw signal; each row below changes one field.
const base: RawSignal = {
  subjectUserId: PLAYER_A,
  signalType: 'aim_assist',
  detectorKey: 'guess-speed',
  detectorVersion: '2.1.0',
  severity: 'high',
  evidenceStrength: 'strong',
  reasonCode: 'too_fast',
  recommendedQueue: true,
  score: 0.93,
  payload: { rounds: [1, 2] },
  occurredAt: '2026-01-02T03:04:05Z',
};

const expectedBase: RiskSignal = {
  subjectUserId: PLAYER_A,
  signalType: 'aim_assist',
  detectorKey: 'guess-speed',
  detectorVersion: '2.1.0',
  severity: 'high',
  evidenceStrength: 'strong',
  reasonCode: 'too_fast',
  recommendedQueue: true,
  score: 0.93,
  payload: { rounds: [1, 2] },
  occurredAt: '2026-01-02T03:04:05.000Z',
};

function normalizeOne(raw: Partial<RawSignal>): RiskSignal {
  const { signals, dropped } = normalizeSignals([{ ...base, ...raw }], context);
  expect(dropped).toBe(0);
  expect(signals).toHaveLength(1);
  return signals[0]!;
}

describe('normalizeSignals, the normalisation table', () => {
  it('keeps a signal that is already normal unchanged', () => {
    expect(normalizeOne({})).toEqual(expectedBase);
  });

  it.each<[string, Partial<RawSignal>, Partial<RiskSignal>]>([
    // subjectUserId: trimmed
    ['subject trimmed', { subjectUserId: `  ${PLAYER_B}\t` }, { subjectUserId: PLAYER_B }],
    [
      'subject in upper case matches the request spelling',
      { subjectUserId: PLAYER_B.toUpperCase() },
      { subjectUserId: PLAYER_B },
    ],
    // signalType: trimmed, empty -> gameplay_integrity
    ['signalType trimmed', { signalType: ' aim_assist \n' }, { signalType: 'aim_assist' }],
    ['signalType empty', { signalType: '' }, { signalType: 'gameplay_integrity' }],
    ['signalType blank', { signalType: '   ' }, { signalType: 'gameplay_integrity' }],
    ['signalType missing', { signalType: undefined }, { signalType: 'gameplay_integrity' }],
    ['signalType null', { signalType: null }, { signalType: 'gameplay_integrity' }],
    // severity: trimmed, lower-cased, unknown -> low
    ['severity low', { severity: 'low' }, { severity: 'low' }],
    ['severity medium', { severity: 'medium' }, { severity: 'medium' }],
    ['severity high', { severity: 'high' }, { severity: 'high' }],
    ['severity critical', { severity: 'critical' }, { severity: 'critical' }],
    ['severity case and space', { severity: ' CRITICAL ' }, { severity: 'critical' }],
    ['severity mixed case', { severity: 'Medium' }, { severity: 'medium' }],
    ['severity unknown', { severity: 'severe' }, { severity: 'low' }],
    ['severity empty', { severity: '' }, { severity: 'low' }],
    ['severity missing', { severity: undefined }, { severity: 'low' }],
    // evidenceStrength: kept values, aliases, unknown -> weak
    ['evidence weak', { evidenceStrength: 'weak' }, { evidenceStrength: 'weak' }],
    ['evidence limited', { evidenceStrength: 'limited' }, { evidenceStrength: 'limited' }],
    ['evidence substantial', { evidenceStrength: 'substantial' }, { evidenceStrength: 'substantial' }],
    ['evidence strong', { evidenceStrength: 'strong' }, { evidenceStrength: 'strong' }],
    ['evidence very_low alias', { evidenceStrength: 'very_low' }, { evidenceStrength: 'weak' }],
    ['evidence low alias', { evidenceStrength: 'low' }, { evidenceStrength: 'weak' }],
    ['evidence medium alias', { evidenceStrength: 'medium' }, { evidenceStrength: 'limited' }],
    ['evidence high alias', { evidenceStrength: 'high' }, { evidenceStrength: 'substantial' }],
    ['evidence very_high alias', { evidenceStrength: 'very_high' }, { evidenceStrength: 'strong' }],
    ['evidence alias case and space', { evidenceStrength: '  Very_High ' }, { evidenceStrength: 'strong' }],
    ['evidence kept value case', { evidenceStrength: 'SUBSTANTIAL' }, { evidenceStrength: 'substantial' }],
    ['evidence unknown', { evidenceStrength: 'overwhelming' }, { evidenceStrength: 'weak' }],
    ['evidence hyphenated is unknown', { evidenceStrength: 'very-high' }, { evidenceStrength: 'weak' }],
    ['evidence missing', { evidenceStrength: null }, { evidenceStrength: 'weak' }],
    // reasonCode: trimmed, empty -> risk_engine_signal
    ['reasonCode trimmed', { reasonCode: ' too_fast ' }, { reasonCode: 'too_fast' }],
    ['reasonCode empty', { reasonCode: '' }, { reasonCode: 'risk_engine_signal' }],
    ['reasonCode missing', { reasonCode: undefined }, { reasonCode: 'risk_engine_signal' }],
    // detectorKey, detectorVersion: trimmed, empty -> null
    ['detectorKey trimmed', { detectorKey: ' guess-speed ' }, { detectorKey: 'guess-speed' }],
    ['detectorKey empty', { detectorKey: '' }, { detectorKey: null }],
    ['detectorKey blank', { detectorKey: ' ' }, { detectorKey: null }],
    ['detectorKey missing', { detectorKey: undefined }, { detectorKey: null }],
    ['detectorVersion trimmed', { detectorVersion: '\t2.1.0' }, { detectorVersion: '2.1.0' }],
    ['detectorVersion empty', { detectorVersion: '' }, { detectorVersion: null }],
    ['detectorVersion missing', { detectorVersion: null }, { detectorVersion: null }],
    // occurredAt: missing or zero -> now; offsets become UTC
    ['occurredAt missing', { occurredAt: undefined }, { occurredAt: NOW.toISOString() }],
    ['occurredAt null', { occurredAt: null }, { occurredAt: NOW.toISOString() }],
    ['occurredAt empty', { occurredAt: '' }, { occurredAt: NOW.toISOString() }],
    ['occurredAt Go zero time', { occurredAt: '0001-01-01T00:00:00Z' }, { occurredAt: NOW.toISOString() }],
    ['occurredAt Unix zero time', { occurredAt: '1970-01-01T00:00:00Z' }, { occurredAt: NOW.toISOString() }],
    ['occurredAt unparseable', { occurredAt: 'yesterday' }, { occurredAt: NOW.toISOString() }],
    [
      'occurredAt with offset',
      { occurredAt: '2026-01-02T05:04:05.5+02:00' },
      { occurredAt: '2026-01-02T03:04:05.500Z' },
    ],
    [
      'occurredAt trimmed',
      { occurredAt: ' 2026-01-02T03:04:05Z ' },
      { occurredAt: '2026-01-02T03:04:05.000Z' },
    ],
    // booleans and numbers the contract leaves optional
    ['recommendedQueue missing', { recommendedQueue: undefined }, { recommendedQueue: false }],
    ['score missing', { score: null }, { score: 0 }],
    // payload: opaque, null when absent
    ['payload missing', { payload: undefined }, { payload: null }],
    [
      'payload kept opaque',
      { payload: { anything: { goes: ['here', 1, true, null] } } },
      { payload: { anything: { goes: ['here', 1, true, null] } } },
    ],
  ])('%s', (_name, raw, expected) => {
    expect(normalizeOne(raw)).toEqual({ ...expectedBase, ...expected });
  });

  it.each<[string, Partial<RawSignal>]>([
    ['subject missing', { subjectUserId: undefined }],
    ['subject null', { subjectUserId: null }],
    ['subject empty', { subjectUserId: '' }],
    ['subject blank', { subjectUserId: '   ' }],
    ['subject not a player in the request', { subjectUserId: '44444444-4444-4444-8444-444444444444' }],
    ['subject not a uuid', { subjectUserId: 'player-one' }],
    ['reason code is longer than the bound', { reasonCode: 'r'.repeat(MAX_IDENTIFIER_LENGTH + 1) }],
    ['signal type is longer than the bound', { signalType: 't'.repeat(300_000) }],
    ['detector key is longer than the bound', { detectorKey: 'k'.repeat(MAX_IDENTIFIER_LENGTH + 1) }],
    ['detector version is longer than the bound', { detectorVersion: '1'.repeat(MAX_IDENTIFIER_LENGTH + 1) }],
    ['reason code holds a NUL character', { reasonCode: 'too_fast\u0000' }],
  ])('drops and counts a signal whose %s', (_name, raw) => {
    const result = normalizeSignals([{ ...base, ...raw }, base], context);
    expect(result.dropped).toBe(1);
    expect(result.signals).toEqual([expectedBase]);
  });

  it('keeps identifiers exactly at the length bound', () => {
    const atBound = 'r'.repeat(MAX_IDENTIFIER_LENGTH);
    expect(normalizeOne({ reasonCode: ` ${atBound} ` }).reasonCode).toBe(atBound);
  });

  it('keeps order and counts every dropped signal', () => {
    const result = normalizeSignals(
      [
        { ...base, subjectUserId: PLAYER_B },
        { ...base, subjectUserId: '' },
        base,
        { ...base, subjectUserId: 'nobody' },
      ],
      context,
    );
    expect(result.dropped).toBe(2);
    expect(result.signals.map((s) => s.subjectUserId)).toEqual([PLAYER_B, PLAYER_A]);
  });

  it('gives the same output for the same input (pure)', () => {
    const raw = [{ ...base, occurredAt: null }];
    expect(normalizeSignals(raw, context)).toEqual(normalizeSignals(raw, context));
    expect(raw[0]?.occurredAt).toBeNull();
  });
});

describe('normalizeSignals, payload bounds', () => {
  function nested(depth: number): Record<string, unknown> {
    let value: Record<string, unknown> = { leaf: true };
    for (let level = 1; level < depth; level++) value = { next: value };
    return value;
  }

  it('keeps a payload at the depth limit and drops one past it, keeping the signal', () => {
    const kept = normalizeSignals([{ ...base, payload: nested(MAX_PAYLOAD_DEPTH) }], context);
    expect(kept.droppedPayloads).toBe(0);
    expect(JSON.stringify(kept.signals[0]?.payload)).toBe(JSON.stringify(nested(MAX_PAYLOAD_DEPTH)));

    const cut = normalizeSignals([{ ...base, payload: nested(MAX_PAYLOAD_DEPTH + 1) }], context);
    expect(cut.droppedPayloads).toBe(1);
    expect(cut.dropped).toBe(0);
    expect(cut.signals[0]).toEqual({ ...expectedBase, payload: null });
  });

  it('drops a payload larger than the size bound, keeping the signal', () => {
    const justFits = { blob: 'x'.repeat(MAX_PAYLOAD_BYTES - '{"blob":""}'.length) };
    expect(normalizeSignals([{ ...base, payload: justFits }], context).droppedPayloads).toBe(0);
    const tooBig = { blob: 'x'.repeat(MAX_PAYLOAD_BYTES) };
    const result = normalizeSignals([{ ...base, payload: tooBig }], context);
    expect(result.droppedPayloads).toBe(1);
    expect(result.signals[0]?.payload).toBeNull();
  });

  it('measures the size bound in UTF-8 bytes', () => {
    const multiByte = { blob: 'é'.repeat(MAX_PAYLOAD_BYTES / 2) };
    expect(normalizeSignals([{ ...base, payload: multiByte }], context).droppedPayloads).toBe(1);
  });

  it('drops a cyclic or non-JSON payload instead of looping or throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const unstorable = [{ text: 'a\u0000b' }, { ['k\u0000']: 1 }];
    for (const payload of [cyclic, { when: new Date(0) }, { n: Number.NaN }, { f: () => 1 }, ...unstorable]) {
      const result = normalizeSignals([{ ...base, payload }], context);
      expect(result.droppedPayloads).toBe(1);
      expect(result.signals[0]?.payload).toBeNull();
    }
  });

  it('keeps a __proto__ key as plain data and never touches a prototype', () => {
    const payload = JSON.parse(
      '{"__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true}},"constructor":1}',
    );
    const [signal] = normalizeSignals([{ ...base, payload }], context).signals;
    const copy = signal!.payload!;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'nested', 'constructor']);
    expect(Object.getPrototypeOf(copy['nested'])).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(
      '{"__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true}},"constructor":1}',
    );
  });

  it('copies the payload so later changes to the input do not leak into the result', () => {
    const payload = { list: [1] };
    const [signal] = normalizeSignals([{ ...base, payload }], context).signals;
    payload.list.push(2);
    expect(signal?.payload).toEqual({ list: [1] });
  });
});

describe('normalizeOccurredAt', () => {
  // The reference: strict RFC 3339, Date.parse, zero times and times outside years 1-9999 UTC
  // replaced, rendered by toISOString.
  const reference = (text: string, nowIso: string): string => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return nowIso;
    const at = Date.parse(text);
    if (Number.isNaN(at) || at === 0 || at === Date.parse('0001-01-01T00:00:00Z')) return nowIso;
    const iso = new Date(at).toISOString();
    return /^\d{4}-/.test(iso) && !iso.startsWith('0000') ? iso : nowIso;
  };

  it('agrees with Date.parse + toISOString across dates, leap days, hours and fractions', () => {
    const nowIso = NOW.toISOString();
    let checked = 0;
    for (const year of ['0000', '0001', '0004', '0100', '1900', '1970', '2000', '2024', '2026', '9999']) {
      for (const month of ['00', '01', '02', '04', '12', '13']) {
        for (const day of ['00', '01', '28', '29', '30', '31', '32']) {
          for (const time of ['00:00:00', '23:59:59', '24:00:00', '12:60:00', '12:00:60']) {
            for (const fraction of ['', '.', '.1', '.12', '.123', '.1239', '.000000001']) {
              for (const zone of ['Z', '+02:00', '-02:00']) {
                const text = `${year}-${month}-${day}T${time}${fraction}${zone}`;
                expect(normalizeOccurredAt(text, nowIso), text).toBe(reference(text, nowIso));
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).toBe(44_100);
  });
});

describe('normalisation makes every kept value storable in PostgreSQL', () => {
  const LONE = '\ud800';
  const NUL = '\u0000';
  const FFFD = '\ufffd';

  // The counts of one signal's normalisation, leaving out the reasons that stayed at 0.
  function countsOf(raw: Partial<RawSignal>) {
    const { counts, signals } = normalizeSignals([{ ...base, ...raw }], context);
    const nonZero = (record: Readonly<Record<string, number>>) =>
      Object.fromEntries(Object.entries(record).filter(([, n]) => n > 0));
    return {
      signals,
      dropped: nonZero(counts.droppedSignals),
      payloads: nonZero(counts.droppedPayloads),
      repaired: nonZero(counts.repaired),
    };
  }

  it.each<[string, string]>([
    ['year 0000 (1 BC, which PostgreSQL cannot read back)', '0000-01-01T00:00:00Z'],
    ['year 0000 with a fraction', '0000-12-31T23:59:59.999Z'],
    ['year 1 pushed into year 0 by its offset', '0001-01-01T00:30:00+01:00'],
    ['year 9999 pushed into year 10000 by its offset', '9999-12-31T23:30:00-01:00'],
  ])('replaces an occurredAt PostgreSQL cannot store, %s, by now and counts it', (_name, occurredAt) => {
    const { signals, repaired, dropped } = countsOf({ occurredAt });
    expect(signals[0]?.occurredAt).toBe(NOW.toISOString());
    expect(repaired).toEqual({ occurred_at_out_of_range: 1 });
    expect(dropped).toEqual({});
  });

  it('keeps the first and last storable instants, and does not count a zero time', () => {
    expect(countsOf({ occurredAt: '0001-01-01T00:00:00.001Z' }).signals[0]?.occurredAt).toBe(
      '0001-01-01T00:00:00.001Z',
    );
    expect(countsOf({ occurredAt: '9999-12-31T23:59:59.999Z' }).signals[0]?.occurredAt).toBe(
      '9999-12-31T23:59:59.999Z',
    );
    expect(countsOf({ occurredAt: '0001-01-01T00:00:00Z' }).repaired).toEqual({});
  });

  it.each<[keyof RawSignal]>([['reasonCode'], ['signalType'], ['detectorKey'], ['detectorVersion']])(
    'repairs a lone surrogate in %s to U+FFFD and counts it',
    (field) => {
      const { signals, repaired } = countsOf({ [field]: `bad${LONE}value` });
      expect(signals[0]?.[field as keyof RiskSignal]).toBe(`bad${FFFD}value`);
      expect(repaired).toEqual({ ill_formed_string: 1 });
      expect(JSON.stringify(signals).includes('\\ud800')).toBe(false);
    },
  );

  it('repairs lone surrogates in payload strings and keys, however deep, counting each string', () => {
    const payload = {
      note: `x${LONE}`,
      [`key${'\udfff'}`]: [{ deep: `${'\udc00'}y` }],
      pair: '\ud83d\ude00',
    };
    const { signals, repaired, payloads } = countsOf({ payload });
    expect(signals[0]?.payload).toEqual({
      note: `x${FFFD}`,
      [`key${FFFD}`]: [{ deep: `${FFFD}y` }],
      pair: '\ud83d\ude00',
    });
    expect(repaired).toEqual({ ill_formed_string: 3 });
    expect(payloads).toEqual({});
  });

  it.each<[string, Record<string, unknown>]>([
    ['a payload key', { [`k${NUL}`]: 1 }],
    ['a payload string', { text: `a${NUL}b` }],
    ['a string deep in a payload', { list: [{ deeper: [`${NUL}`] }] }],
  ])('drops (and counts) a payload with NUL in %s, keeping the signal', (_name, payload) => {
    const { signals, payloads, dropped } = countsOf({ payload });
    expect(signals[0]).toEqual({ ...expectedBase, payload: null });
    expect(payloads).toEqual({ nul_character: 1 });
    expect(dropped).toEqual({});
  });

  it('drops a payload whose keys become one key once repaired, rather than lose a value', () => {
    const { signals, payloads } = countsOf({ payload: { [`k${LONE}`]: 1, [`k${FFFD}`]: 2 } });
    expect(signals[0]?.payload).toBeNull();
    expect(payloads).toEqual({ key_collision: 1 });
  });

  it('drops (and counts) a payload holding a number that is not finite', () => {
    expect(countsOf({ payload: { n: Number.POSITIVE_INFINITY } }).payloads).toEqual({ not_json: 1 });
  });

  it.each<[string, Partial<RawSignal>, string]>([
    ['no subject', { subjectUserId: ' ' }, 'no_subject'],
    [
      'a subject who did not play',
      { subjectUserId: '44444444-4444-4444-8444-444444444444' },
      'unknown_subject',
    ],
    ['a subject with a lone surrogate', { subjectUserId: `${PLAYER_A}${LONE}` }, 'unknown_subject'],
    ['a NUL in the reason code', { reasonCode: `r${NUL}` }, 'identifier_nul'],
    ['a NUL in the signal type', { signalType: `t${NUL}` }, 'identifier_nul'],
    ['a NUL in the detector version', { detectorVersion: `${NUL}` }, 'identifier_nul'],
    [
      'a detector key over the bound',
      { detectorKey: 'k'.repeat(MAX_IDENTIFIER_LENGTH + 1) },
      'identifier_too_long',
    ],
  ])('names why it dropped a signal with %s', (_name, raw, reason) => {
    const { signals, dropped, repaired } = countsOf(raw);
    expect(signals).toEqual([]);
    expect(dropped).toEqual({ [reason]: 1 });
    // Repairs of a dropped signal are not counted: nothing of it is kept.
    expect(repaired).toEqual({});
  });

  it('scrubs the token and long fragments of it from kept strings, counting each string', () => {
    const token = 'tok-0123456789-abcdef';
    const redact = secretRedactor(token);
    const raw = {
      ...base,
      reasonCode: `echo ${token}`,
      payload: {
        header: `Bearer ${token}`,
        [token.slice(3, 15)]: 'cut',
        short: token.slice(0, 7),
        plain: 'kept',
      },
    };
    const result = normalizeSignals([raw], { ...context, redact });
    expect(result.signals[0]).toMatchObject({
      reasonCode: 'echo [redacted]',
      payload: { header: 'Bearer [redacted]', '[redacted]': 'cut', short: 'tok-012', plain: 'kept' },
    });
    expect(result.counts.repaired.secret_redacted).toBe(3);
  });
});

describe('normalizeAnswer, the version strings', () => {
  const answer = (detectorVersion: string, factsVersion = FACTS_VERSION) => ({
    detectorVersion,
    factsVersion,
    signals: [base],
  });
  const repairedOf = (result: ReturnType<typeof normalizeAnswer>) =>
    Object.fromEntries(Object.entries(result.counts.repaired).filter(([, n]) => n > 0)) as Partial<
      Record<RepairReason, number>
    >;

  it('keeps ordinary version strings as they are, and normalises the signals', () => {
    const result = normalizeAnswer(answer('det-7'), context);
    expect(result).toMatchObject({ detectorVersion: 'det-7', factsVersion: FACTS_VERSION, dropped: 0 });
    expect(result.signals).toEqual([expectedBase]);
    expect(repairedOf(result)).toEqual({});
  });

  it('replaces a NUL in the top-level detectorVersion or factsVersion by U+FFFD and counts it', () => {
    const result = normalizeAnswer(answer('fake\u0000-1.0.0', `${FACTS_VERSION}\u0000`), context);
    expect(result.detectorVersion).toBe('fake\ufffd-1.0.0');
    expect(result.factsVersion).toBe(`${FACTS_VERSION}\ufffd`);
    expect(repairedOf(result)).toEqual({ version_nul: 2 });
    expect(result.signals).toEqual([expectedBase]);
  });

  it('repairs a lone surrogate in the top-level detectorVersion and counts it', () => {
    const result = normalizeAnswer(answer('v\udbff'), context);
    expect(result.detectorVersion).toBe('v\ufffd');
    expect(repairedOf(result)).toEqual({ ill_formed_string: 1 });
  });

  it('cuts a top-level detectorVersion over the bound, never inside a surrogate pair', () => {
    const long = normalizeAnswer(answer('v'.repeat(MAX_IDENTIFIER_LENGTH + 50)), context);
    expect(long.detectorVersion).toBe('v'.repeat(MAX_IDENTIFIER_LENGTH));
    expect(repairedOf(long)).toEqual({ version_too_long: 1 });
    const astral = `${'v'.repeat(MAX_IDENTIFIER_LENGTH - 1)}\ud83d\ude00tail`;
    const cut = normalizeAnswer(answer(astral), context).detectorVersion;
    expect(cut).toBe('v'.repeat(MAX_IDENTIFIER_LENGTH - 1));
    expect(cut.isWellFormed()).toBe(true);
  });
});
