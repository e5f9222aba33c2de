-- Reverts only the discovery cursor; the next sweep after a new up starts at now minus the overlap.
DROP TABLE IF EXISTS moderation_worker_discovery;
