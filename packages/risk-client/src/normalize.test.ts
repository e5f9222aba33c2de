import { describe, expect, it } from 'vitest';
import { MAX_IDENTIFIER_LENGTH, normalizeOccurredAt, normalizeSignals } from './normalize.js';
import { MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH } from './payload.js';
import type { RawSignal } from './schema.js';
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
  // The reference: strict RFC 3339, Date.parse, zero times replaced, rendered by toISOString.
  const reference = (text: string, nowIso: string): string => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return nowIso;
    const at = Date.parse(text);
    if (Number.isNaN(at) || at === 0 || at === Date.parse('0001-01-01T00:00:00Z')) return nowIso;
    return new Date(at).toISOString();
  };

  it('agrees with Date.parse + toISOString across dates, leap days, hours and fractions', () => {
    const nowIso = NOW.toISOString();
    let checked = 0;
    for (const year of ['0000', '0001', '0004', '0100', '1900', '1970', '2000', '2024', '2026', '9999']) {
      for (const month of ['00', '01', '02', '04', '12', '13']) {
        for (const day of ['00', '01', '28', '29', '30', '31', '32']) {
          for (const time of ['00:00:00', '23:59:59', '24:00:00', '12:60:00', '12:00:60']) {
            for (const fraction of ['', '.', '.1', '.12', '.123', '.1239', '.000000001']) {
              for (const zone of ['Z', '+02:00']) {
                const text = `${year}-${month}-${day}T${time}${fraction}${zone}`;
                expect(normalizeOccurredAt(text, nowIso), text).toBe(reference(text, nowIso));
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).toBe(29_400);
  });
});
