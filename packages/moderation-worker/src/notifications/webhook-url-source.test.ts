import { openTestPool, type TempDatabase } from '@geoduels/test-support';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMigratedTempDatabase } from '../test-support/worker-harness.js';
import {
  fixedWebhookUrl,
  siteSettingsWebhookUrl,
  WEBHOOK_SETTING_TTL_MS,
  webhookSettingFromJson,
} from './webhook-url-source.js';

const SETTINGS_URL = 'https://discord.example/api/webhooks/1/settings-token';
const ENV_URL = 'https://discord.example/api/webhooks/2/env-token';

let db: TempDatabase;
let pool: pg.Pool;
let clock: number;

beforeAll(async () => {
  db = await createMigratedTempDatabase('webhook_source');
  pool = openTestPool(db.url, 2);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

beforeEach(async () => {
  await pool.query(`DELETE FROM site_settings WHERE key = 'moderation_settings'`);
  clock = Date.parse('2026-03-01T12:00:00Z');
});

async function setSettings(value: unknown): Promise<void> {
  await pool.query(
    `INSERT INTO site_settings (key, value_json) VALUES ('moderation_settings', $1)
     ON CONFLICT (key) DO UPDATE SET value_json = EXCLUDED.value_json`,
    [JSON.stringify(value)],
  );
}

function source() {
  return siteSettingsWebhookUrl({ pool, envUrl: null, now: () => clock });
}

describe('webhook URL from site_settings', () => {
  it('reads moderation_settings.discordWebhookUrl, trimmed, when MODERATION_WEBHOOK_URL is unset', async () => {
    await setSettings({ discordWebhookUrl: `  ${SETTINGS_URL}\n`, somethingElse: true });
    expect(await source().current()).toEqual({ kind: 'url', url: SETTINGS_URL, origin: 'site_settings' });
  });

  it('lets MODERATION_WEBHOOK_URL win over the setting', async () => {
    await setSettings({ discordWebhookUrl: SETTINGS_URL });
    const fromEnv = siteSettingsWebhookUrl({ pool, envUrl: ENV_URL, now: () => clock });
    expect(await fromEnv.current()).toEqual({ kind: 'url', url: ENV_URL, origin: 'MODERATION_WEBHOOK_URL' });
  });

  it('disables delivery when the row is missing or the field is empty, blank or not a string', async () => {
    expect(await source().current()).toEqual({ kind: 'none' });
    for (const value of [
      {},
      { discordWebhookUrl: '' },
      { discordWebhookUrl: '   ' },
      { discordWebhookUrl: 42 },
      [],
    ]) {
      await setSettings(value);
      expect(await source().current()).toEqual({ kind: 'none' });
    }
  });

  it('disables delivery for a value that is not an http(s) URL, without repeating the value', async () => {
    await setSettings({ discordWebhookUrl: 'ftp://files.example/secret-token' });
    const setting = await source().current();
    expect(setting).toEqual({ kind: 'invalid', problem: 'must use http: or https: (got ftp:)' });
    expect(JSON.stringify(setting)).not.toContain('secret-token');
  });

  it('reuses a read for a minute, then sees the change (an emptied setting disables delivery)', async () => {
    await setSettings({ discordWebhookUrl: SETTINGS_URL });
    const webhook = source();
    expect((await webhook.current()).kind).toBe('url');

    await setSettings({ discordWebhookUrl: '' });
    clock += WEBHOOK_SETTING_TTL_MS - 1;
    expect((await webhook.current()).kind).toBe('url');
    clock += 1;
    expect(await webhook.current()).toEqual({ kind: 'none' });

    await setSettings({ discordWebhookUrl: ENV_URL });
    clock += WEBHOOK_SETTING_TTL_MS - 1;
    expect(await webhook.current()).toEqual({ kind: 'none' });
    clock += 1;
    expect(await webhook.current()).toEqual({ kind: 'url', url: ENV_URL, origin: 'site_settings' });
  });

  it('shares one read between callers asking at once', async () => {
    await setSettings({ discordWebhookUrl: SETTINGS_URL });
    const counting = countingPool(pool);
    const webhook = siteSettingsWebhookUrl({ pool: counting.pool, envUrl: null, now: () => clock });
    await Promise.all([webhook.current(), webhook.current(), webhook.current()]);
    expect(counting.queries()).toBe(1);
  });

  it('throws when the database cannot be read, and reads again on the next call', async () => {
    const down = openTestPool('postgres://postgres@127.0.0.1:1/none', 1);
    try {
      const webhook = siteSettingsWebhookUrl({ pool: down, envUrl: null, now: () => clock });
      await expect(webhook.current()).rejects.toThrow();
      await expect(webhook.current()).rejects.toThrow();
    } finally {
      await down.end();
    }
  });
});

describe('fixed webhook URL', () => {
  it('is the environment URL, or none', async () => {
    expect(await fixedWebhookUrl(ENV_URL).current()).toEqual({
      kind: 'url',
      url: ENV_URL,
      origin: 'MODERATION_WEBHOOK_URL',
    });
    expect(await fixedWebhookUrl(null).current()).toEqual({ kind: 'none' });
  });
});

describe('moderation_settings value', () => {
  it('is read as production reads it', () => {
    expect(webhookSettingFromJson({ discordWebhookUrl: ` ${SETTINGS_URL} ` })).toEqual({
      kind: 'url',
      url: SETTINGS_URL,
      origin: 'site_settings',
    });
    expect(webhookSettingFromJson(null)).toEqual({ kind: 'none' });
    expect(webhookSettingFromJson('https://x.example/hook')).toEqual({ kind: 'none' });
    expect(webhookSettingFromJson({ discordWebhookUrl: 'not a url' })).toEqual({
      kind: 'invalid',
      problem: 'is not a valid URL',
    });
  });
});

/** The same pool, counting the statements sent through it. */
function countingPool(inner: pg.Pool): { pool: pg.Pool; queries: () => number } {
  let count = 0;
  const pool = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (...args: Parameters<pg.Pool['query']>) => {
          count += 1;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return { pool, queries: () => count };
}
