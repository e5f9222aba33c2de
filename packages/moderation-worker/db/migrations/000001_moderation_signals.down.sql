DROP TABLE IF EXISTS moderation_signals;
