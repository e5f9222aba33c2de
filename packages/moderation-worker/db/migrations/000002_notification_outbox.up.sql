-- Review notifications waiting for delivery to the moderation webhook. A row is claimed by one
-- replica (FOR UPDATE SKIP LOCKED) and leased by pushing next_attempt_at forward.
CREATE TABLE notification_outbox (
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

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE sent_at IS NULL;
