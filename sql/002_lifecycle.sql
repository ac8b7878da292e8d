-- 002: data lifecycle and re-driving stuck work. Forward-only; never edit once applied.

-- Re-driving stuck applications: when each was last re-driven and how often, so one that cannot be decided
-- is retried with a growing pause instead of every interval forever.
ALTER TABLE applications ADD COLUMN last_redriven_at timestamptz;
ALTER TABLE applications ADD COLUMN redrive_count integer NOT NULL DEFAULT 0;

-- Published outbox events older than the archive age move here (same columns plus archived_at). Not
-- unique on message_id: a replayed event may be published, archived and archived again.
CREATE TABLE outbox_events_archive (
    id               bigint PRIMARY KEY,
    message_id       uuid NOT NULL,
    application_id   uuid NOT NULL,
    topic            text NOT NULL,
    event_type       text NOT NULL,
    request_id       text,
    payload          text NOT NULL,
    created_at       timestamptz NOT NULL,
    published_at     timestamptz NOT NULL,
    attempts         integer NOT NULL,
    last_error       text,
    archived_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_events_archive_application_id_idx ON outbox_events_archive (application_id, id);
CREATE INDEX outbox_events_archive_message_id_idx ON outbox_events_archive (message_id);

-- The archive job scans published events by age.
CREATE INDEX outbox_events_published_at_idx ON outbox_events (published_at) WHERE published_at IS NOT NULL;
-- `prequal dlq list` and `prequal outbox status` read dead events.
CREATE INDEX outbox_events_dead_idx ON outbox_events (id) WHERE dead;
