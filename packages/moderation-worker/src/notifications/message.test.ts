import { describe, expect, it } from 'vitest';
import { buildReviewMessage, DISCORD_LIMITS, escapeText, truncate } from './message.js';
import type { QueuedSignalPayload } from './outbox-payload.js';

const FALLBACK = new Date('2026-03-01T12:00:00.000Z');

function payload(overrides: Partial<QueuedSignalPayload> = {}): QueuedSignalPayload {
  return {
    signalId: 4_815_162_342,
    subjectUserId: '0b6d3c1e-2222-4a2b-9c3d-000000000002',
    subjectName: 'Ada',
    severity: 'critical',
    evidenceStrength: 'strong',
    reasonCode: 'impossible_precision',
    occurredAt: '2026-02-28T09:30:00.000Z',
    ...overrides,
  };
}

describe('review message', () => {
  it('shows what the payload holds: signal id, severity, evidence, reason code, subject name and id, time', () => {
    const message = buildReviewMessage(payload(), FALLBACK);
    const embed = message.embeds[0];
    const fields = Object.fromEntries(embed.fields.map((field) => [field.name, field.value]));
    expect(fields).toEqual({
      Signal: '`4815162342`',
      Severity: 'critical',
      Evidence: 'strong',
      'Reason code': '`impossible_precision`',
      Subject: 'Ada',
      'Subject id': '`0b6d3c1e-2222-4a2b-9c3d-000000000002`',
    });
    expect(embed.timestamp).toBe('2026-02-28T09:30:00.000Z');
    expect(embed.color).toBe(0xe74c3c);
    expect(embed.title).toBe('CRITICAL signal needs review');
    expect(embed.description).toBe('impossible\\_precision on Ada');
    expect(message.content).toBe('Moderation signal needs review: critical');
    expect(message.allowed_mentions).toEqual({ parse: [] });
  });

  it('colours the embed by severity', () => {
    const colours = (['low', 'medium', 'high', 'critical'] as const).map(
      (severity) => buildReviewMessage(payload({ severity }), FALLBACK).embeds[0].color,
    );
    expect(colours).toEqual([0x95a5a6, 0xf1c40f, 0xe67e22, 0xe74c3c]);
  });

  it('uses the fallback time when occurredAt is unreadable', () => {
    expect(buildReviewMessage(payload({ occurredAt: 'yesterday' }), FALLBACK).embeds[0].timestamp).toBe(
      FALLBACK.toISOString(),
    );
  });

  it('shows a dash for an empty subject name rather than an empty field', () => {
    const subject = buildReviewMessage(payload({ subjectName: '' }), FALLBACK).embeds[0].fields.find(
      (field) => field.name === 'Subject',
    );
    expect(subject?.value).toBe('-');
  });

  it('never carries mentions or markdown from a display name or engine-supplied text', () => {
    const hostile = payload({
      subjectName: '@everyone <@123> **boss** [click](https://evil.example)',
      reasonCode: '@here `x` <@&9>',
    });
    const message = buildReviewMessage(hostile, FALLBACK);
    expect(JSON.stringify(message)).not.toMatch(/@everyone|@here|<@/);
    const subject = message.embeds[0].fields.find((field) => field.name === 'Subject')?.value;
    expect(subject).toContain('\\*\\*boss\\*\\*');
    expect(subject).toContain('\\[click\\]\\(https://evil.example\\)');
    expect(message.embeds[0].description).toContain('\\*\\*boss\\*\\*');
  });

  it('bounds every field to Discord limits, even for huge values', () => {
    const huge = 'x'.repeat(10_000);
    const message = buildReviewMessage(
      payload({ reasonCode: huge, subjectName: huge, subjectUserId: huge }),
      FALLBACK,
    );
    const embed = message.embeds[0];
    expect(message.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect(embed.description.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(embed.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const field of embed.fields) {
      expect(field.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(field.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    }
    const total =
      embed.title.length +
      embed.description.length +
      embed.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    expect(embed.fields[0]?.name).toBe('Signal');
  });

  it('never includes fields outside the queued payload', () => {
    const withExtra = { ...payload(), payload: { secretThreshold: 0.123456 } } as QueuedSignalPayload;
    expect(JSON.stringify(buildReviewMessage(withExtra, FALLBACK))).not.toContain('secretThreshold');
  });
});

describe('text helpers', () => {
  it('escapes markdown and defuses mentions', () => {
    expect(escapeText('a_b *c* @everyone')).toBe('a\\_b \\*c\\* @\u200beveryone');
  });

  it('cuts long text with an ellipsis without splitting a surrogate pair', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('ab🙂', 3)).toBe('ab…');
    expect(truncate('short', 10)).toBe('short');
  });
  it("shows a match's summary row as how many more signals need review, and the first of them", () => {
    const message = buildReviewMessage(
      payload({ moreSignals: 7, matchId: '0b6d3c1e-3333-4a2b-9c3d-000000000003', severity: 'high' }),
      FALLBACK,
    );
    const embed = message.embeds[0];
    const fields = Object.fromEntries(embed.fields.map((field) => [field.name, field.value]));
    expect(fields).toMatchObject({
      Match: '`0b6d3c1e-3333-4a2b-9c3d-000000000003`',
      'More signals': '7',
      'First of them': '`4815162342`',
      Severity: 'high',
    });
    expect(embed.title).toBe('7 more signals need review in one match');
    expect(message.content).toBe('Moderation signals need review: 7 more in one match');
    expect(message.allowed_mentions).toEqual({ parse: [] });
  });
});
