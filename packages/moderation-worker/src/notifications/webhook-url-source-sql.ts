// The one statement the webhook URL source runs: production keeps the moderators' webhook in
// site_settings (read only; the API owns the table).

/** The JSON value of one site setting. $1 key (`moderation_settings`). */
export const SELECT_SITE_SETTING_SQL = `SELECT value_json FROM site_settings WHERE key = $1`;
