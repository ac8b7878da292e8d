-- 007: every final decision carries machine-readable reason codes and the version of the rules that made it
-- (contract section 7). Forward-only; never edit once applied. (005 and 006 are taken by API keys and the
-- outbox claim lease.)
ALTER TABLE applications ADD COLUMN reason_codes text[];
ALTER TABLE applications ADD COLUMN ruleset_version text;

-- Decisions made before this migration were made by the rules that became ruleset '2026-12-04.1' (nothing in
-- them changed), whose reason codes follow from the status alone.
UPDATE applications SET ruleset_version = '2026-12-04.1',
    reason_codes = CASE status
        WHEN 'REJECTED' THEN ARRAY['SCORE_BELOW_650']
        WHEN 'PRE_APPROVED' THEN ARRAY['SCORE_AT_LEAST_650', 'INCOME_ABOVE_LOAN_OVER_48']
        ELSE ARRAY['SCORE_AT_LEAST_650', 'INCOME_NOT_ABOVE_LOAN_OVER_48'] END
WHERE status <> 'PENDING';
