-- The subset of the GeoDuels API-owned schema that the moderation worker reads.
-- The API owns and migrates these tables in production; this file exists for tests, the demo and
-- the k3d overlay. Idempotent: safe to apply twice.

CREATE TABLE IF NOT EXISTS users (
  id          uuid PRIMARY KEY,
  username    text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Exactly one season is active at a time (partial unique index below).
CREATE TABLE IF NOT EXISTS seasons (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz,
  is_active   boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX IF NOT EXISTS seasons_one_active ON seasons (is_active) WHERE is_active;

CREATE TABLE IF NOT EXISTS match_history (
  match_id     uuid PRIMARY KEY,
  mode         text NOT NULL DEFAULT 'duel',
  ranked       boolean NOT NULL DEFAULT true,
  season_id    uuid REFERENCES seasons (id),
  started_at   timestamptz,
  finished_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS match_history_ranked_finished ON match_history (finished_at) WHERE ranked;

CREATE TABLE IF NOT EXISTS ranked_guess_events (
  user_id       uuid NOT NULL REFERENCES users (id),
  match_id      uuid NOT NULL REFERENCES match_history (match_id),
  round_number  integer NOT NULL,
  score         integer NOT NULL,
  guess_ms      integer NOT NULL,
  evidence      double precision NOT NULL DEFAULT 0,
  occurred_at   timestamptz NOT NULL,
  PRIMARY KEY (match_id, user_id, round_number)
);
-- A player's most recent events, newest first (the facts query's per-player LATERAL scan).
CREATE INDEX IF NOT EXISTS ranked_guess_events_user_recent
  ON ranked_guess_events (user_id, occurred_at DESC, round_number DESC);

CREATE TABLE IF NOT EXISTS ranks (
  user_id    uuid NOT NULL REFERENCES users (id),
  mode       text NOT NULL,
  season_id  uuid NOT NULL REFERENCES seasons (id),
  mmr        integer NOT NULL,
  PRIMARY KEY (user_id, mode, season_id)
);

CREATE TABLE IF NOT EXISTS ranked_stats (
  user_id       uuid NOT NULL REFERENCES users (id),
  mode          text NOT NULL,
  season_id     uuid NOT NULL REFERENCES seasons (id),
  games_played  integer NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, mode, season_id)
);
