-- Moderation signals from every source. Requires PostgreSQL 15+ (NULLS NOT DISTINCT).
CREATE TABLE moderation_signals (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subject_user_id    uuid NOT NULL,
  signal_type        text NOT NULL,
  source             text NOT NULL CHECK (source IN ('player_report', 'risk_engine', 'moderator', 'system')),
  severity           text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  evidence_strength  text NOT NULL CHECK (evidence_strength IN ('weak', 'limited', 'substantial', 'strong')),
  detector_key       text,
  detector_version   text,
  reason_code        text NOT NULL,
  score              double precision NOT NULL DEFAULT 0,
  recommended_queue  boolean NOT NULL DEFAULT false,
  reporter_user_id   uuid,
  match_id           uuid,
  payload_json       jsonb,
  occurred_at        timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Re-analysis of a match merges into the same row; detector key/version may be null, and a null
-- must still collide with a null, hence NULLS NOT DISTINCT.
CREATE UNIQUE INDEX moderation_signals_risk_engine_dedupe
  ON moderation_signals (subject_user_id, match_id, detector_key, detector_version, reason_code)
  NULLS NOT DISTINCT
  WHERE source = 'risk_engine';

-- One report per (match, reporter, reported player).
CREATE UNIQUE INDEX moderation_signals_player_report_dedupe
  ON moderation_signals (match_id, reporter_user_id, subject_user_id)
  WHERE source = 'player_report';

CREATE INDEX moderation_signals_subject_recent ON moderation_signals (subject_user_id, created_at DESC);
CREATE INDEX moderation_signals_match ON moderation_signals (match_id);
