import type pg from 'pg';
import { webhookUrlProblem } from './webhook-url.js';
import { SELECT_SITE_SETTING_SQL } from './webhook-url-source-sql.js';

/** The site setting production keeps the webhook in, and its JSON field. */
export const WEBHOOK_SETTING_KEY = 'moderation_settings';
export const WEBHOOK_SETTING_FIELD = 'discordWebhookUrl';

/** How long a site_settings read is reused: a changed or emptied setting counts within a minute. */
export const WEBHOOK_SETTING_TTL_MS = 60_000;

/** Where a usable URL came from. */
export type WebhookOrigin = 'MODERATION_WEBHOOK_URL' | 'site_settings';

/** The webhook to use right now. `url` is a secret: log it only through redactWebhookUrl. */
export type WebhookSetting =
  | { kind: 'url'; url: string; origin: WebhookOrigin }
  /** Neither the variable nor the setting holds a URL: delivery is disabled. */
  | { kind: 'none' }
  /** The setting holds something that is not an http(s) URL: delivery is disabled. */
  | { kind: 'invalid'; problem: string };

/** Where the delivery loop asks, before each claim, which webhook to post to. */
export interface WebhookUrlSource {
  /** The current setting; throws only when the database cannot be read. */
  current(): Promise<WebhookSetting>;
}

/** A source that never changes: MODERATION_WEBHOOK_URL alone (validated by the config), or none. */
export function fixedWebhookUrl(url: string | null): WebhookUrlSource {
  const setting: WebhookSetting =
    url === null ? { kind: 'none' } : { kind: 'url', url, origin: 'MODERATION_WEBHOOK_URL' };
  return { current: async () => setting };
}

/** Options of {@link siteSettingsWebhookUrl}. */
export interface SiteSettingsWebhookOptions {
  pool: pg.Pool;
  /** MODERATION_WEBHOOK_URL, already validated; when set it wins and site_settings is never read. */
  envUrl: string | null;
  /** Clock (ms since epoch) for the cache; default Date.now. */
  now?: () => number;
  /** How long one read is reused; default {@link WEBHOOK_SETTING_TTL_MS}. */
  ttlMs?: number;
}

/**
 * Production's source: `site_settings` key `moderation_settings`, field `discordWebhookUrl`, read at
 * most once per `ttlMs`; MODERATION_WEBHOOK_URL, when set, wins.
 */
export function siteSettingsWebhookUrl(options: SiteSettingsWebhookOptions): WebhookUrlSource {
  if (options.envUrl !== null) return fixedWebhookUrl(options.envUrl);
  const { pool } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? WEBHOOK_SETTING_TTL_MS;
  let cached: { setting: WebhookSetting; readAt: number } | null = null;
  let reading: Promise<WebhookSetting> | null = null;
  const read = async (): Promise<WebhookSetting> => {
    const result = await pool.query<{ value_json: unknown }>(SELECT_SITE_SETTING_SQL, [WEBHOOK_SETTING_KEY]);
    const setting = webhookSettingFromJson(result.rows[0]?.value_json);
    cached = { setting, readAt: now() };
    return setting;
  };
  return {
    current() {
      if (cached !== null && now() - cached.readAt < ttlMs) return Promise.resolve(cached.setting);
      reading ??= read().finally(() => {
        reading = null;
      });
      return reading;
    },
  };
}

/**
 * Reads the webhook from the `moderation_settings` value as production does: the field trimmed,
 * empty (or missing, or not a string) means none; anything else must be an http(s) URL.
 */
export function webhookSettingFromJson(valueJson: unknown): WebhookSetting {
  const field =
    typeof valueJson === 'object' && valueJson !== null
      ? (valueJson as Record<string, unknown>)[WEBHOOK_SETTING_FIELD]
      : undefined;
  const url = typeof field === 'string' ? field.trim() : '';
  if (url === '') return { kind: 'none' };
  const problem = webhookUrlProblem(url);
  return problem === null ? { kind: 'url', url, origin: 'site_settings' } : { kind: 'invalid', problem };
}
