-- 014: personal-data retention (contract section 8; docs/pan-protection.md, "Retention"). Forward-only; never
-- edit once applied.

-- The retention job and the personal_data_erasure_due gauge look for decided applications whose personal data
-- is still held, oldest first. A decided application's updated_at is the time of its last decision (only
-- erasure changes the row afterwards, and that takes it out of this index). Partial: PENDING and erased rows
-- are not in it, so it holds about one retention period's decided applications.
CREATE INDEX applications_personal_data_held_idx ON applications (updated_at)
    WHERE status <> 'PENDING' AND personal_data_erased_at IS NULL;
