-- 006: the publisher claims events with a lease instead of holding row locks across the publish to the bus
-- (docs/outbox-backlog.md, "Leased claims"). Forward-only; never edit once applied.

-- Until when the publisher that claimed an unpublished event owns it. NULL, or a time in the past: nobody.
-- The value doubles as the claim's token: only the owner's failure or release applies (it is unique per
-- claim of a row). Not indexed, so setting it can be a heap-only (HOT) update that adds no index entry.
ALTER TABLE outbox_events ADD COLUMN claimed_until timestamptz;

-- Room on each page for the claim's new row version, so it can stay HOT (new pages only; the table is
-- mostly recent rows, retention moves the old ones away).
ALTER TABLE outbox_events SET (fillfactor = 50);
