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

-- The event feed (GET /events): each decision's application_decided event, written in the deciding
-- transaction with `seq` NULL. Its place in the feed is assigned after it commits, by the one sequencer at a
-- time (decision::event_sequencer, under an advisory lock), from the single position counter below: a batch
-- of committed events takes the next positions, in one transaction. A position is therefore visible only
-- once every smaller one is, and an event committed later always gets a larger one (commit order), while
-- writers never wait for each other. docs/event-feed.md explains the choice.
CREATE TABLE decision_events (
    id              bigserial PRIMARY KEY,
    client          text NOT NULL,
    seq             bigint,  -- feed position (shared by every client); NULL until sequenced
    message_id      uuid NOT NULL,
    application_id  uuid NOT NULL,
    payload         text NOT NULL,  -- the event exactly as published (webhooks add event_id)
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX decision_events_feed_idx ON decision_events (client, seq) WHERE seq IS NOT NULL;
-- What the sequencer has left to do (small: it keeps up within its interval).
CREATE INDEX decision_events_unsequenced_idx ON decision_events (id) WHERE seq IS NULL;
-- Retention deletes by age.
CREATE INDEX decision_events_created_at_idx ON decision_events (created_at);

-- The last position handed out; one row, written only by the sequencer (so never contended by writers).
CREATE TABLE decision_event_position (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq   bigint NOT NULL
);
INSERT INTO decision_event_position (last_seq) VALUES (0);
