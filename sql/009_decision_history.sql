-- 009: underwriting review, the decision history and the event feed (contract section 10). Forward-only;
-- never edit once applied. (008 is taken by webhooks.)

-- Who made the current decision: 'rules' or 'review'; NULL while PENDING.
ALTER TABLE applications ADD COLUMN decided_by text CHECK (decided_by IN ('rules', 'review'));

-- One row per decision, never updated or deleted: the machine's decision stays when an underwriter resolves
-- a MANUAL_REVIEW. `version` is the application's version that the decision produced, so (application,
-- version) orders an application's decisions and a second writer of the same version fails on the key.
CREATE TABLE decision_history (
    application_id       uuid NOT NULL REFERENCES applications (id),
    version              integer NOT NULL,
    status               text NOT NULL CHECK (status IN ('PRE_APPROVED', 'REJECTED', 'MANUAL_REVIEW')),
    decided_by           text NOT NULL CHECK (decided_by IN ('rules', 'review')),
    reason_codes         text[] NOT NULL,
    decision_reason      text NOT NULL,
    ruleset_version      text,
    reviewer             text,
    max_approved_amount  numeric(14, 2),
    decided_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, version),
    CHECK ((decided_by = 'rules') = (ruleset_version IS NOT NULL)),
    CHECK ((decided_by = 'review') = (reviewer IS NOT NULL))
);

-- Append-only is enforced, not just promised: an UPDATE or DELETE of a history row is an error.
CREATE FUNCTION decision_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decision_history is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER decision_history_append_only BEFORE UPDATE OR DELETE ON decision_history
    FOR EACH ROW EXECUTE FUNCTION decision_history_append_only();

-- Decisions made before this migration were all made by the rules: one 'rules' entry each, decided when the
-- application row last changed. One INSERT … SELECT and one UPDATE, in the migration's transaction: fine at
-- the sizes prequal has run at (a table of millions would want a batched backfill by a background job).
UPDATE applications SET decided_by = 'rules' WHERE status <> 'PENDING';
INSERT INTO decision_history (application_id, version, status, decided_by, reason_codes, decision_reason,
                              ruleset_version, max_approved_amount, decided_at)
SELECT id, version, status, 'rules', coalesce(reason_codes, '{}'), coalesce(decision_reason, ''),
       coalesce(ruleset_version, '2026-12-04.1'), max_approved_amount, updated_at
FROM applications WHERE status <> 'PENDING';

-- The event feed (GET /events): each client's application_decided events numbered 1, 2, 3 … in commit
-- order. The number comes from the client's counter row, upserted by the last statement of the deciding
-- transaction: its row lock serialises the commits of one client's decisions, so number n + 1 can only be
-- taken once n is committed (or rolled back with its number). docs/event-feed.md explains the choice.
CREATE TABLE decision_event_counters (
    client    text PRIMARY KEY,
    last_seq  bigint NOT NULL
);
CREATE TABLE decision_events (
    client          text NOT NULL,
    seq             bigint NOT NULL,
    message_id      uuid NOT NULL,
    application_id  uuid NOT NULL,
    payload         text NOT NULL,  -- the event exactly as published (webhooks add event_id)
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, seq)
);
-- Retention deletes by age.
CREATE INDEX decision_events_created_at_idx ON decision_events (created_at);
