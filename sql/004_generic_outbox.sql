-- 004: the outbox and the inbox become platform mechanisms that know nothing of applications, and every
-- statement the publisher runs costs O(batch), not O(backlog). Forward-only; never edit once applied.

-- An event belongs to an opaque aggregate key (the owning module decides what it is: the api module uses the
-- application id). Events of one key are published in id order.
ALTER TABLE outbox_events RENAME COLUMN application_id TO aggregate_key;
ALTER TABLE outbox_events ALTER COLUMN aggregate_key TYPE text USING aggregate_key::text;
ALTER INDEX outbox_events_application_id_idx RENAME TO outbox_events_aggregate_key_idx;
ALTER TABLE outbox_events_archive RENAME COLUMN application_id TO aggregate_key;
ALTER TABLE outbox_events_archive ALTER COLUMN aggregate_key TYPE text USING aggregate_key::text;
ALTER INDEX outbox_events_archive_application_id_idx RENAME TO outbox_events_archive_aggregate_key_idx;

-- The claim walks live unpublished events in due order and stops after the batch: due events are a range
-- of this index, so events backing off after failures are never scanned while they wait.
DROP INDEX outbox_events_unpublished_idx;
CREATE INDEX outbox_events_due_idx ON outbox_events (next_attempt_at, id) WHERE published_at IS NULL AND NOT dead;
-- "Is there an earlier unpublished event of this key?" is one probe of outbox_events_aggregate_key_idx per
-- claimed event (EXPLAIN shows the planner choosing it); a partial index for it would only cost every insert.

-- Dead index entries of published events are what a claim walks through: have autovacuum remove them after
-- every few thousand updates instead of after 20 % of the table changed.
ALTER TABLE outbox_events SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                               autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.05);

-- Whether a key still has a live unpublished event (the publisher is still on it). Owners of aggregates use
-- it in their "stuck work" statements instead of reading the outbox table. Inlined by the planner.
CREATE FUNCTION outbox_has_unpublished(p_aggregate_key text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM outbox_events
                   WHERE aggregate_key = p_aggregate_key AND published_at IS NULL AND NOT dead)
$$;
