// A few rows in every API table, in production's shape, standing in for the live data a migration
// meets: guests and registered players, ranked and unranked duels, other services' notifications.
import { runSql } from '@geoduels/test-support';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const CAROL = '33333333-3333-4333-8333-333333333333';
const RANKED = 'aaaaaaaa-0000-4000-8000-000000000001';
const CASUAL = 'aaaaaaaa-0000-4000-8000-000000000002';

const API_ROWS_SQL = `
INSERT INTO users (id, display_name, account_type, banned_at, created_at) VALUES
  ('${ALICE}', 'Alice', 'registered', NULL, '2025-11-01T10:00:00Z'),
  ('${BOB}', '', 'guest', NULL, '2025-11-02T10:00:00Z'),
  ('${CAROL}', 'Carol ☃', 'registered', '2026-01-03T00:00:00Z', '2025-11-03T10:00:00Z');

INSERT INTO match_history (match_id, mode, ranked, started_at, ended_at, winner_user_id, source_kind) VALUES
  ('${RANKED}', 'duel', true, '2026-01-01T10:00:00Z', '2026-01-01T10:05:00Z', '${ALICE}', 'queue'),
  ('${CASUAL}', 'duel', false, '2026-01-02T10:00:00Z', '2026-01-02T10:04:00Z', '${CAROL}', 'party');

INSERT INTO match_players (match_id, user_id, ended_at, rating_before, rating_after, final_ranked_delta, total_score) VALUES
  ('${RANKED}', '${ALICE}', '2026-01-01T10:05:00Z', 500, 512, 12, 24000),
  ('${RANKED}', '${BOB}', '2026-01-01T10:05:00Z', 500, 488, -12, 18000),
  ('${CASUAL}', '${CAROL}', '2026-01-02T10:04:00Z', NULL, NULL, NULL, 9000);

INSERT INTO ranked_guess_events (user_id, match_id, round_number, score, guess_ms, evidence, occurred_at) VALUES
  ('${ALICE}', '${RANKED}', 1, 5000, 1200, 0.25, '2026-01-01T10:01:00Z'),
  ('${ALICE}', '${RANKED}', 2, 4990, 900, 0.5, '2026-01-01T10:02:00Z'),
  ('${BOB}', '${RANKED}', 1, 3100, 15000, 0, '2026-01-01T10:01:00Z');

INSERT INTO ranks (user_id, mode, season_id, mmr, rd, updated_at) VALUES
  ('${ALICE}', 'duel', 's2', 512, 120.5, '2026-01-01T10:05:00Z'),
  ('${BOB}', 'duel', 's2', 488, 300, '2026-01-01T10:05:00Z'),
  ('${ALICE}', 'duel', 's1', 640, 80, '2025-12-01T00:00:00Z');

INSERT INTO ranked_stats (user_id, mode, season_id, games_played, wins, updated_at) VALUES
  ('${ALICE}', 'duel', 's2', 31, 20, '2026-01-01T10:05:00Z'),
  ('${BOB}', 'duel', 's2', 2, 0, '2026-01-01T10:05:00Z');

INSERT INTO site_settings (key, value_json, updated_at) VALUES
  ('ranked_season', '{"activeSeasonId": "s2", "monthlyResetDay": 1, "lastResetAt": "2026-01-01T00:00:00Z"}', '2026-01-01T00:00:00Z'),
  ('moderation_settings', '{"discordWebhookUrl": ""}', '2026-01-01T00:00:00Z'),
  ('maintenance_banner', '{"text": "none"}', '2026-01-01T00:00:00Z');

INSERT INTO moderation_signals (subject_user_id, signal_type, source, severity, evidence_strength, detector_key,
    detector_version, reason_code, score, recommended_queue, reporter_user_id, match_id, payload_json, occurred_at,
    created_at) VALUES
  ('${ALICE}', 'gameplay_integrity', 'risk_engine', 'high', 'substantial', 'fast_guess', 'v1', 'fast_accurate',
    0.91, true, NULL, '${RANKED}', '{"rounds": [1, 2]}', '2026-01-01T10:06:00Z', '2026-01-01T10:06:00Z'),
  ('${BOB}', 'player_report:cheating', 'player_report', 'medium', 'limited', NULL, NULL, 'cheating', 2, true,
    '${ALICE}', '${RANKED}', '{"category": "cheating"}', '2026-01-01T10:07:00Z', '2026-01-01T10:07:00Z'),
  ('${CAROL}', 'manual_review', 'moderator', 'low', 'weak', NULL, NULL, 'note', 0, false, NULL, NULL, '{}',
    '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z');

INSERT INTO notification_outbox (type, dedupe_key, payload_json, attempts, next_attempt_at, sent_at, last_error,
    created_at) VALUES
  ('moderation_signal_queued', 'moderation_signal:1:queued', '{"signalId": 1, "subjectUserId": "${ALICE}"}', 1,
    '2026-01-01T10:06:00Z', '2026-01-01T10:06:05Z', NULL, '2026-01-01T10:06:00Z'),
  ('friend_request', 'friend_request:${ALICE}:${CAROL}', '{"from": "${ALICE}"}', 3, '2026-01-04T00:00:00Z', NULL,
    'HTTP 502', '2026-01-03T00:00:00Z'),
  ('moderation_incident_queued', 'moderation_incident:7', '{"incidentId": 7}', 0, '2026-01-05T00:00:00Z', NULL,
    NULL, '2026-01-05T00:00:00Z');
`;

/** Inserts a few rows into every API table of a database that has the API schema (schema_migrations has its own). */
export async function insertApiRows(url: string): Promise<void> {
  await runSql(url, API_ROWS_SQL);
}
