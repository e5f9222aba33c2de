-- The production GeoDuels tables the moderation worker reads or writes, as the API's migrations leave
-- them at version 53 (columns, types, defaults, constraints and index names). The API owns and
-- migrates every table here; the worker never creates, alters or drops them. This file builds a
-- production-shaped database for the tests, the demo and the k3d overlay. Columns the worker never
-- reads are left out (docs/architecture.md lists the differences). Idempotent: safe to apply twice.

-- golang-migrate's default table, as the API's migration stream leaves it. The worker keeps its own
-- version in moderation_worker_schema_migrations and never reads or writes this one.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version  bigint NOT NULL PRIMARY KEY,
  dirty    boolean NOT NULL
);
INSERT INTO schema_migrations (version, dirty)
SELECT 53, false WHERE NOT EXISTS (SELECT 1 FROM schema_migrations);

CREATE TABLE IF NOT EXISTS users (
  id            uuid PRIMARY KEY,
  display_name  text NOT NULL,
  account_type  text NOT NULL DEFAULT 'guest',
  banned_at     timestamptz,
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS match_history (
  match_id         uuid PRIMARY KEY,
  mode             text NOT NULL,
  ranked           boolean NOT NULL DEFAULT false,
  started_at       timestamptz,
  ended_at         timestamptz NOT NULL,
  winner_user_id   uuid,
  source_kind      text DEFAULT 'queue',
  source_party_id  uuid
);

CREATE TABLE IF NOT EXISTS match_players (
  match_id            uuid NOT NULL REFERENCES match_history (match_id) ON DELETE CASCADE,
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  ended_at            timestamptz NOT NULL,
  rating_before       integer,
  rating_after        integer,
  final_ranked_delta  integer,
  total_score         integer,
  PRIMARY KEY (match_id, user_id)
);

CREATE TABLE IF NOT EXISTS ranked_guess_events (
  user_id       uuid NOT NULL,
  match_id      uuid NOT NULL,
  round_number  smallint NOT NULL,
  score         smallint NOT NULL,
  guess_ms      integer NOT NULL,
  evidence      real NOT NULL DEFAULT 0,
  occurred_at   timestamptz NOT NULL,
  PRIMARY KEY (match_id, round_number, user_id)
);
CREATE INDEX IF NOT EXISTS idx_ranked_guess_events_user_recent
  ON ranked_guess_events (user_id, occurred_at DESC, round_number DESC) INCLUDE (score, guess_ms, evidence);

CREATE TABLE IF NOT EXISTS ranks (
  user_id     uuid NOT NULL,
  mode        text NOT NULL,
  season_id   text NOT NULL,
  mmr         integer NOT NULL DEFAULT 500,
  rd          double precision NOT NULL DEFAULT 350,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, mode, season_id)
);

CREATE TABLE IF NOT EXISTS ranked_stats (
  user_id       uuid NOT NULL,
  mode          text NOT NULL,
  season_id     text NOT NULL,
  games_played  integer NOT NULL DEFAULT 0,
  wins          integer NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, mode, season_id)
);

-- Key `ranked_season` holds {activeSeasonId, monthlyResetDay, lastResetAt}; key `moderation_settings`
-- holds {discordWebhookUrl, ...}.
CREATE TABLE IF NOT EXISTS site_settings (
  key         text PRIMARY KEY,
  value_json  jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- 000051_moderation_signals.
CREATE TABLE IF NOT EXISTS moderation_signals (
  id                 bigserial PRIMARY KEY,
  subject_user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  signal_type        text NOT NULL,
  source             text NOT NULL CHECK (source IN ('player_report', 'risk_engine', 'moderator', 'system')),
  severity           text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  evidence_strength  text NOT NULL CHECK (evidence_strength IN ('weak', 'limited', 'substantial', 'strong')),
  detector_key       text,
  detector_version   text,
  reason_code        text NOT NULL,
  score              double precision NOT NULL DEFAULT 0,
  recommended_queue  boolean NOT NULL DEFAULT false,
  reporter_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  match_id           uuid REFERENCES match_history (match_id) ON DELETE SET NULL,
  payload_json       jsonb NOT NULL DEFAULT '{}',
  occurred_at        timestamptz NOT NULL DEFAULT now(),
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT moderation_signals_no_self_report CHECK (reporter_user_id IS NULL OR reporter_user_id <> subject_user_id)
);

-- An ON CONFLICT target must repeat these expressions and predicates exactly.
CREATE UNIQUE INDEX IF NOT EXISTS idx_moderation_signals_detector_dedupe
  ON moderation_signals (
    subject_user_id,
    coalesce(match_id, '00000000-0000-0000-0000-000000000000'::uuid),
    coalesce(detector_key, ''),
    coalesce(detector_version, ''),
    reason_code)
  WHERE source = 'risk_engine';
CREATE UNIQUE INDEX IF NOT EXISTS idx_moderation_signals_report_dedupe
  ON moderation_signals (match_id, reporter_user_id, subject_user_id)
  WHERE source = 'player_report' AND reporter_user_id IS NOT NULL AND match_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_moderation_signals_subject_recent
  ON moderation_signals (subject_user_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS idx_moderation_signals_queue
  ON moderation_signals (recommended_queue, severity, occurred_at DESC);
CREATE INDEX IF NOT EXISTS idx_moderation_signals_match
  ON moderation_signals (match_id, occurred_at DESC) WHERE match_id IS NOT NULL;

-- Shared by every notification type; each consumer claims only its own types.
CREATE TABLE IF NOT EXISTS notification_outbox (
  id               bigserial PRIMARY KEY,
  type             text NOT NULL,
  dedupe_key       text NOT NULL UNIQUE,
  payload_json     jsonb NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_notification_outbox_pending
  ON notification_outbox (next_attempt_at, id) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_notification_outbox_sent
  ON notification_outbox (sent_at) WHERE sent_at IS NOT NULL;
