-- 001: the whole initial schema. Forward-only; never edit once applied (serve refuses a changed file).

-- One row per accepted application. The PAN is stored only as AES-256-GCM ciphertext (with its key id),
-- a keyed HMAC for duplicate look-ups, and the masked form shown to clients.
CREATE TABLE applications (
    id                   uuid PRIMARY KEY,
    pan_hmac             text NOT NULL,
    pan_ciphertext       text NOT NULL,
    pan_key_id           text NOT NULL,
    pan_masked           text NOT NULL,
    applicant_name       text,
    monthly_income       numeric(12, 2) NOT NULL CHECK (monthly_income >= 0),
    loan_amount          numeric(12, 2) NOT NULL CHECK (loan_amount > 0),
    loan_type            text CHECK (loan_type IN ('PERSONAL', 'HOME', 'AUTO')),
    status               text NOT NULL DEFAULT 'PENDING'
                         CHECK (status IN ('PENDING', 'PRE_APPROVED', 'REJECTED', 'MANUAL_REVIEW')),
    cibil_score          integer CHECK (cibil_score BETWEEN 300 AND 900),
    decision_reason      text,
    max_approved_amount  numeric(14, 2),
    version              integer NOT NULL DEFAULT 1,
    request_id           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
-- Re-driving stuck work scans only PENDING rows by age.
CREATE INDEX applications_pending_created_at_idx ON applications (created_at) WHERE status = 'PENDING';

-- The duplicate rule ("one non-REJECTED application per PAN within 24 h"), made race-free: at most one
-- claim row per PAN (primary key), taken over only when the holder expired or was REJECTED. A partial
-- unique index on created_at > now() - 24h is impossible (now() is not immutable), hence this table.
CREATE TABLE pan_claims (
    pan_hmac        text PRIMARY KEY,
    application_id  uuid NOT NULL,
    claimed_at      timestamptz NOT NULL
);

-- Idempotency-Key → the application it created, committed with that application.
CREATE TABLE idempotency_keys (
    idempotency_key  text PRIMARY KEY,
    request_hash     text NOT NULL,
    application_id   uuid NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

-- Who did what to personal data and to an application: PAN encrypt/decrypt/mask, submission, credit
-- report, decision. Never holds the PAN itself.
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    application_id  uuid,
    action          text NOT NULL,
    actor           text NOT NULL,
    request_id      text,
    detail          jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_application_id_idx ON audit_log (application_id, id);

-- Exactly one credit report per application (the primary key enforces it whatever is redelivered).
CREATE TABLE credit_reports (
    application_id  uuid PRIMARY KEY REFERENCES applications (id),
    cibil_score     integer NOT NULL CHECK (cibil_score BETWEEN 300 AND 900),
    message_id      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Transactional outbox: events written with the state change, forwarded to the bus by the publisher.
CREATE TABLE outbox_events (
    id               bigserial PRIMARY KEY,
    message_id       uuid NOT NULL UNIQUE,
    application_id   uuid NOT NULL,
    topic            text NOT NULL,
    event_type       text NOT NULL,
    request_id       text,
    payload          text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    dead             boolean NOT NULL DEFAULT false
);
-- The publisher's claim query: unpublished, live events in id order.
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (id) WHERE published_at IS NULL AND NOT dead;
-- Re-driving an application's history.
CREATE INDEX outbox_events_application_id_idx ON outbox_events (application_id, id);

-- Idempotent consumers: a message's effects commit together with this row, once per consumer group.
CREATE TABLE processed_messages (
    consumer_group  text NOT NULL,
    message_id      uuid NOT NULL,
    processed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, message_id)
);
CREATE INDEX processed_messages_processed_at_idx ON processed_messages (processed_at);

-- Messages that exhausted their delivery attempts (both buses record them here so they can be listed and
-- replayed).
CREATE TABLE dead_letters (
    id              bigserial PRIMARY KEY,
    topic           text NOT NULL,
    message_key     text NOT NULL,
    payload         text NOT NULL,
    headers         jsonb NOT NULL DEFAULT '{}'::jsonb,
    consumer_group  text,
    reason          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    replayed_at     timestamptz
);
CREATE INDEX dead_letters_created_at_idx ON dead_letters (created_at);
