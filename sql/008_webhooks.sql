-- 008: webhooks (contract section 7): each client's webhook and the durable queue of deliveries to it.
-- Forward-only; never edit once applied.

-- One webhook per client. Signing secrets are credentials: sealed with the service's AES-256-GCM key ring
-- like the PAN (key id + base64 ciphertext, the client name as associated data), never stored in clear.
-- After a rotation the previous secret signs too until previous_expires_at (24 h).
CREATE TABLE webhooks (
    client                  text PRIMARY KEY,
    url                     text NOT NULL,
    secret_key_id           text NOT NULL,
    secret_ciphertext       text NOT NULL,
    previous_key_id         text,
    previous_ciphertext     text,
    previous_expires_at     timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- One row per decision event for a client with a webhook (event_id UNIQUE: a redelivered event queues
-- nothing twice). A row is live while delivered_at and dead_at are both NULL. Dispatchers claim due rows
-- FOR UPDATE SKIP LOCKED and lease them (claimed_until, also the claim's token) for the attempt, so any
-- number of replicas share the work and a crashed one's rows come back when the lease runs out.
-- armed_at starts the max-age clock (created_at, or the moment `prequal dlq replay` re-armed the row).
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    event_id        uuid NOT NULL UNIQUE,
    client          text NOT NULL,
    application_id  text NOT NULL,
    payload         json NOT NULL,
    due_at          timestamptz NOT NULL DEFAULT now(),
    claimed_until   timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    last_status     integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    armed_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    dead_at         timestamptz
);
-- The due scan: live rows by due time. Rows waiting out a backoff sit behind the due ones, so a large
-- backlog of retries costs the scan nothing until they fall due.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (due_at, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
-- The per-application order probe ("no earlier live row of this application"): a key look-up.
CREATE INDEX webhook_deliveries_application_idx ON webhook_deliveries (application_id, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
-- The oldest live row (webhook_oldest_undelivered_seconds) without scanning the backlog.
CREATE INDEX webhook_deliveries_live_idx ON webhook_deliveries (id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
-- Retention of delivered rows by age.
CREATE INDEX webhook_deliveries_delivered_at_idx ON webhook_deliveries (delivered_at)
    WHERE delivered_at IS NOT NULL;
-- Room on each page for the lease's row version (claimed_until is in no index), so it can be a HOT update.
ALTER TABLE webhook_deliveries SET (fillfactor = 70);
