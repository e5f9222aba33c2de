import { describe, expect, it } from 'vitest';
import { buildReviewMessage, DISCORD_LIMITS, escapeText, truncate } from './message.js';
import type { QueuedSignalPayload } from './outbox-payload.js';

const FALLBACK = new Date('2026-03-01T12:00:00.000Z');

function payload(overrides: Partial<QueuedSignalPayload> = {}): QueuedSignalPayload {
  return {
    signalId: '6f1c7d4e-1111-4a2b-9c3d-000000000001',
    source: 'risk_engine',
    subjectUserId: '0b6d3c1e-2222-4a2b-9c3d-000000000002',
    matchId: '9a8b7c6d-3333-4a2b-9c3d-000000000003',
    reporterUserId: null,
    signalType: 'gameplay_integrity',
    severity: 'critical',
    evidenceStrength: 'strong',
    reasonCode: 'impossible_precision',
    detectorKey: 'fast-precise',
    score: 0.98765,
    occurredAt: '2026-02-28T09:30:00.000Z',
    ...overrides,
  };
}

describe('review message', () => {
  it('shows the signal id, severity, subject, source, reason, evidence, score and match', () => {
    const message = buildReviewMessage(payload(), FALLBACK);
    const embed = message.embeds[0];
    const fields = Object.fromEntries(embed.fields.map((field) => [field.name, field.value]));
    expect(fields).toEqual({
      Signal: '`6f1c7d4e-1111-4a2b-9c3d-000000000001`',
      Severity: 'critical',
      Evidence: 'strong',
      Score: '0.988',
      Subject: '`0b6d3c1e-2222-4a2b-9c3d-000000000002`',
      Source: 'Risk engine',
      'Reason code': '`impossible_precision`',
      'Signal type': '`gameplay_integrity`',
      Match: '`9a8b7c6d-3333-4a2b-9c3d-000000000003`',
      Detector: '`fast-precise`',
    });
    expect(embed.timestamp).toBe('2026-02-28T09:30:00.000Z');
    expect(embed.color).toBe(0xe74c3c);
    expect(embed.title).toBe('CRITICAL Risk engine needs review');
    expect(message.allowed_mentions).toEqual({ parse: [] });
  });

  it('names the reporter of a player report and says when there is no match', () => {
    const message = buildReviewMessage(
      payload({ source: 'player_report', reporterUserId: 'r-1', matchId: null, detectorKey: null }),
      FALLBACK,
    );
    const names = message.embeds[0].fields.map((field) => field.name);
    expect(names).toContain('Reporter');
    expect(names).not.toContain('Detector');
    expect(message.embeds[0].fields.find((field) => field.name === 'Match')?.value).toBe('none');
  });

  it('uses the fallback time when occurredAt is unreadable', () => {
    expect(buildReviewMessage(payload({ occurredAt: 'yesterday' }), FALLBACK).embeds[0].timestamp).toBe(
      FALLBACK.toISOString(),
    );
  });

  it('never carries mentions or markdown from engine-supplied text', () => {
    const hostile = payload({
      reasonCode: '@everyone **pwned** <@123> `x`',
      signalType: '@here',
      detectorKey: '<@&9>',
    });
    const text = JSON.stringify(buildReviewMessage(hostile, FALLBACK));
    expect(text).not.toMatch(/@everyone|@here|<@/);
    const description = buildReviewMessage(hostile, FALLBACK).embeds[0].description;
    expect(description).toContain('\\*\\*pwned\\*\\*');
  });

  it('bounds every field to Discord limits, even for huge values', () => {
    const huge = 'x'.repeat(10_000);
    const message = buildReviewMessage(
      payload({ reasonCode: huge, signalType: huge, detectorKey: huge, subjectUserId: huge, signalId: huge }),
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

  it('never includes fields outside the queued payload (no opaque signal payload)', () => {
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
});
