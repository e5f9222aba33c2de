-- The worker's first migration. It owns only its own tables; the API's tables are checked, never
-- touched: a column or unique index the worker's statements need that is missing or shaped
-- otherwise stops the migration here, with a message naming the difference, instead of failing
-- every job later.
DO $check$
DECLARE
  need record;
  actual record;
  missing_tables text[] := '{}';
  shape_errors text[] := '{}';
BEGIN
  FOR need IN
    SELECT * FROM (VALUES
      ('users', 'id', '{uuid}', true),
      ('users', 'display_name', '{text}', true),
      ('match_history', 'match_id', '{uuid}', true),
      ('match_history', 'mode', '{text}', false),
      ('match_history', 'ranked', '{boolean}', true),
      ('match_history', 'ended_at', '{timestamp with time zone}', true),
      ('match_players', 'match_id', '{uuid}', true),
      ('match_players', 'user_id', '{uuid}', true),
      ('ranked_guess_events', 'user_id', '{uuid}', true),
      ('ranked_guess_events', 'match_id', '{uuid}', true),
      ('ranked_guess_events', 'round_number', '{smallint,integer}', true),
      ('ranked_guess_events', 'score', '{smallint,integer}', true),
      ('ranked_guess_events', 'guess_ms', '{integer,bigint}', true),
      ('ranked_guess_events', 'evidence', '{real,double precision}', true),
      ('ranked_guess_events', 'occurred_at', '{timestamp with time zone}', true),
      ('ranks', 'user_id', '{uuid}', true),
      ('ranks', 'mode', '{text}', true),
      ('ranks', 'season_id', '{text}', true),
      ('ranks', 'mmr', '{integer}', true),
      ('ranked_stats', 'user_id', '{uuid}', true),
      ('ranked_stats', 'mode', '{text}', true),
      ('ranked_stats', 'season_id', '{text}', true),
      ('ranked_stats', 'games_played', '{integer}', false),
      ('site_settings', 'key', '{text}', true),
      ('site_settings', 'value_json', '{jsonb}', true),
      ('moderation_signals', 'id', '{bigint}', true),
      ('moderation_signals', 'subject_user_id', '{uuid}', true),
      ('moderation_signals', 'signal_type', '{text}', true),
      ('moderation_signals', 'source', '{text}', true),
      ('moderation_signals', 'severity', '{text}', true),
      ('moderation_signals', 'evidence_strength', '{text}', true),
      ('moderation_signals', 'detector_key', '{text}', false),
      ('moderation_signals', 'detector_version', '{text}', false),
      ('moderation_signals', 'reason_code', '{text}', true),
      ('moderation_signals', 'score', '{double precision}', true),
      ('moderation_signals', 'recommended_queue', '{boolean}', true),
      ('moderation_signals', 'reporter_user_id', '{uuid}', false),
      ('moderation_signals', 'match_id', '{uuid}', false),
      ('moderation_signals', 'payload_json', '{jsonb}', true),
      ('moderation_signals', 'occurred_at', '{timestamp with time zone}', true),
      ('notification_outbox', 'id', '{bigint}', true),
      ('notification_outbox', 'type', '{text}', true),
      ('notification_outbox', 'dedupe_key', '{text}', true),
      ('notification_outbox', 'payload_json', '{jsonb}', true),
      ('notification_outbox', 'attempts', '{integer}', true),
      ('notification_outbox', 'next_attempt_at', '{timestamp with time zone}', true),
      ('notification_outbox', 'sent_at', '{timestamp with time zone}', false),
      ('notification_outbox', 'last_error', '{text}', false)
    ) AS t(table_name, column_name, types, not_null)
  LOOP
    CONTINUE WHEN need.table_name = ANY (missing_tables);
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables t
                   WHERE t.table_schema = current_schema() AND t.table_name = need.table_name) THEN
      -- One line per absent table rather than one per column it should have had.
      missing_tables := array_append(missing_tables, need.table_name);
      shape_errors := array_append(shape_errors, format('table %s is missing', need.table_name));
      CONTINUE;
    END IF;
    SELECT c.data_type, c.is_nullable INTO actual
    FROM information_schema.columns c
    WHERE c.table_schema = current_schema() AND c.table_name = need.table_name AND c.column_name = need.column_name;
    IF NOT FOUND THEN
      shape_errors := array_append(shape_errors, format('%s.%s is missing (the worker needs %s)',
        need.table_name, need.column_name, array_to_string(need.types::text[], ' or ')));
    ELSIF NOT actual.data_type = ANY (need.types::text[]) THEN
      shape_errors := array_append(shape_errors, format('%s.%s is %s (the worker needs %s)',
        need.table_name, need.column_name, actual.data_type, array_to_string(need.types::text[], ' or ')));
    ELSIF need.not_null AND actual.is_nullable = 'YES' THEN
      shape_errors := array_append(shape_errors, format('%s.%s allows NULL (the worker needs NOT NULL)',
        need.table_name, need.column_name));
    END IF;
  END LOOP;

  -- The worker's upserts name these conflict targets; PostgreSQL infers the unique index from the
  -- exact expressions and predicate, so planning each statement proves the index is there.
  IF cardinality(shape_errors) = 0 THEN
    BEGIN
      EXECUTE $sql$EXPLAIN INSERT INTO moderation_signals AS s
        (subject_user_id, signal_type, source, severity, evidence_strength, reason_code)
        VALUES ('00000000-0000-0000-0000-000000000000', '', 'risk_engine', 'low', 'weak', '')
        ON CONFLICT (subject_user_id, coalesce(match_id, '00000000-0000-0000-0000-000000000000'::uuid),
          coalesce(detector_key, ''), coalesce(detector_version, ''), reason_code)
        WHERE source = 'risk_engine' DO NOTHING$sql$;
    EXCEPTION WHEN invalid_column_reference THEN
      shape_errors := array_append(shape_errors, 'moderation_signals has no unique index on (subject_user_id, '
        || 'coalesce(match_id, ''00000000-0000-0000-0000-000000000000''::uuid), coalesce(detector_key, ''''), '
        || 'coalesce(detector_version, ''''), reason_code) WHERE source = ''risk_engine'' '
        || '(production: idx_moderation_signals_detector_dedupe)');
    END;
    BEGIN
      EXECUTE $sql$EXPLAIN INSERT INTO moderation_signals
        (subject_user_id, signal_type, source, severity, evidence_strength, reason_code)
        VALUES ('00000000-0000-0000-0000-000000000000', '', 'player_report', 'low', 'weak', '')
        ON CONFLICT (match_id, reporter_user_id, subject_user_id)
        WHERE source = 'player_report' AND reporter_user_id IS NOT NULL AND match_id IS NOT NULL
        DO NOTHING$sql$;
    EXCEPTION WHEN invalid_column_reference THEN
      shape_errors := array_append(shape_errors, 'moderation_signals has no unique index on (match_id, '
        || 'reporter_user_id, subject_user_id) WHERE source = ''player_report'' AND reporter_user_id IS NOT NULL '
        || 'AND match_id IS NOT NULL (production: idx_moderation_signals_report_dedupe)');
    END;
    BEGIN
      EXECUTE $sql$EXPLAIN INSERT INTO notification_outbox (type, dedupe_key, payload_json)
        VALUES ('', '', '{}') ON CONFLICT (dedupe_key) DO NOTHING$sql$;
    EXCEPTION WHEN invalid_column_reference THEN
      shape_errors := array_append(shape_errors,
        'notification_outbox has no unique constraint on (dedupe_key) (production: notification_outbox_dedupe_key_key)');
    END;
  END IF;

  IF cardinality(shape_errors) > 0 THEN
    RAISE EXCEPTION 'the API''s tables are not shaped as the moderation worker needs: %',
      array_to_string(shape_errors, '; ')
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'apply the API''s migrations up to version 53 first; docs/deployment.md lists what the worker reads and writes';
  END IF;
END
$check$;

-- One row per analysed match: the worker's bookkeeping, what backfill and discovery read.
CREATE TABLE risk_analysis_runs (
  match_id          uuid PRIMARY KEY,
  status            text NOT NULL CHECK (status IN
                      ('analyzed', 'skipped_disabled', 'skipped_no_facts', 'deferred', 'abandoned', 'rejected')),
  attempts          integer NOT NULL DEFAULT 0,
  last_failure      text,
  detector_version  text,
  signal_count      integer NOT NULL DEFAULT 0,
  first_seen_at     timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz
);

CREATE INDEX risk_analysis_runs_status ON risk_analysis_runs (status, first_seen_at);
