import type { Severity } from '@geoduels/risk-client/signals';
import type { QueuedSignalPayload } from './outbox-payload.js';

/** Discord's documented limits for a webhook message (characters). */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  embedTotal: 6000,
} as const;

/** One embed field. */
export interface EmbedField {
  name: string;
  value: string;
  inline: boolean;
}

/** A Discord-compatible webhook body; `allowed_mentions` is empty so nothing ever pings. */
export interface WebhookMessage {
  content: string;
  embeds: [{ title: string; description: string; fields: EmbedField[]; timestamp: string; color: number }];
  allowed_mentions: { parse: [] };
}

/** Embed colour per severity: grey, yellow, orange, red. */
export const SEVERITY_COLORS: Readonly<Record<Severity, number>> = {
  low: 0x95a5a6,
  medium: 0xf1c40f,
  high: 0xe67e22,
  critical: 0xe74c3c,
};

/**
 * Builds the review message for a queued signal from the payload's fields alone, never anything
 * else of the signal; every value is escaped so it cannot mention anyone or break markup (the
 * subject name is chosen by the player). `fallbackTime` is used when the stored occurredAt is not
 * a valid time.
 */
export function buildReviewMessage(payload: QueuedSignalPayload, fallbackTime: Date): WebhookMessage {
  if (payload.moreSignals !== undefined)
    return buildSummaryMessage(payload, payload.moreSignals, fallbackTime);
  const fields: EmbedField[] = [
    field('Signal', code(String(payload.signalId)), false),
    field('Severity', escapeText(payload.severity), true),
    field('Evidence', escapeText(payload.evidenceStrength), true),
    field('Reason code', code(payload.reasonCode), true),
    field('Subject', escapeText(payload.subjectName), false),
    field('Subject id', code(payload.subjectUserId), false),
  ];
  const occurred = new Date(payload.occurredAt);
  const title = truncate(`${payload.severity.toUpperCase()} signal needs review`, DISCORD_LIMITS.title);
  const description = truncate(
    `${escapeText(payload.reasonCode)} on ${escapeText(payload.subjectName)}`,
    DISCORD_LIMITS.description,
  );
  return {
    content: truncate(
      `Moderation signal needs review: ${escapeText(payload.severity)}`,
      DISCORD_LIMITS.content,
    ),
    embeds: [
      {
        title,
        description,
        fields: fitEmbedTotal(title.length + description.length, fields.slice(0, DISCORD_LIMITS.fields)),
        timestamp: (Number.isNaN(occurred.getTime()) ? fallbackTime : occurred).toISOString(),
        color: SEVERITY_COLORS[payload.severity] ?? SEVERITY_COLORS.low,
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

/**
 * The message of a match's summary row: how many more of its signals need review than got a message
 * of their own, and the first of them (its payload fields), so moderators open the match instead.
 */
function buildSummaryMessage(payload: QueuedSignalPayload, more: number, fallbackTime: Date): WebhookMessage {
  const signals = more === 1 ? 'signal' : 'signals';
  const fields: EmbedField[] = [
    field('Match', code(payload.matchId ?? '-'), false),
    field('More signals', String(more), true),
    field('First of them', code(String(payload.signalId)), true),
    field('Severity', escapeText(payload.severity), true),
    field('Reason code', code(payload.reasonCode), true),
    field('Subject', escapeText(payload.subjectName), false),
  ];
  const occurred = new Date(payload.occurredAt);
  const title = truncate(`${more} more ${signals} need review in one match`, DISCORD_LIMITS.title);
  const description = truncate(
    `Only the first signals of this match were sent one by one; review the match for the other ${more}.`,
    DISCORD_LIMITS.description,
  );
  return {
    content: truncate(`Moderation signals need review: ${more} more in one match`, DISCORD_LIMITS.content),
    embeds: [
      {
        title,
        description,
        fields: fitEmbedTotal(title.length + description.length, fields),
        timestamp: (Number.isNaN(occurred.getTime()) ? fallbackTime : occurred).toISOString(),
        color: SEVERITY_COLORS[payload.severity] ?? SEVERITY_COLORS.low,
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

/** Escapes Discord markdown and defuses mentions (`@everyone`, `<@id>`) in untrusted text. */
export function escapeText(text: string): string {
  return text
    .replace(/[\\*_~`|>#[\]()-]/g, (char) => `\\${char}`)
    .replace(/@/g, '@\u200b')
    .replace(/</g, '<\u200b');
}

function code(text: string): string {
  // Inline code renders markdown literally; a backtick inside would close it, so it is replaced.
  const clean = text.replace(/`/g, "'").replace(/@/g, '@\u200b').replace(/</g, '<\u200b');
  return `\`${truncate(clean, DISCORD_LIMITS.fieldValue - 2)}\``;
}

function field(name: string, value: string, inline: boolean): EmbedField {
  return {
    name: truncate(name, DISCORD_LIMITS.fieldName),
    value: truncate(value === '' || value === '``' ? '-' : value, DISCORD_LIMITS.fieldValue),
    inline,
  };
}

function fitEmbedTotal(used: number, fields: EmbedField[]): EmbedField[] {
  const kept: EmbedField[] = [];
  let total = used;
  for (const item of fields) {
    total += item.name.length + item.value.length;
    if (total > DISCORD_LIMITS.embedTotal) break;
    kept.push(item);
  }
  return kept;
}

/** Cuts text to at most `max` UTF-16 units (Discord counts those), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half a surrogate pair behind.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
