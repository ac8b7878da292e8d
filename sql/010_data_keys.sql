-- 010: envelope encryption and erasure (docs/pan-protection.md). Each application's PAN and name are
-- sealed under a data key of its own; the data key is kept only here, sealed (wrapped) under the configured master key
-- `master_key_id` with authenticated data 'data_key:' || application id. Ciphertexts under a data key carry
-- the key id '@data-key' (outside the master key id alphabet); other key ids are legacy ciphertexts sealed
-- directly under a master key. Forward-only; never edit once applied.
CREATE TABLE data_keys (
    application_id  uuid PRIMARY KEY,
    master_key_id   text NOT NULL,
    wrapped_key     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- No index on master_key_id: `prequal rewrap` looks for "not the first key" (<>), which a b-tree cannot
-- narrow, and every submission would pay for it.

-- Erasure (contract section 8): destroys the application's data_keys row and clears every column derived from
-- the PAN or the name (ciphertexts, masked PAN, keyed digest) in one transaction; the decision stays.
ALTER TABLE applications ALTER COLUMN pan_hmac DROP NOT NULL;
ALTER TABLE applications ALTER COLUMN pan_ciphertext DROP NOT NULL;
ALTER TABLE applications ALTER COLUMN pan_key_id DROP NOT NULL;
ALTER TABLE applications ALTER COLUMN pan_masked DROP NOT NULL;
ALTER TABLE applications ADD COLUMN personal_data_erased_at timestamptz;
ALTER TABLE applications ADD CONSTRAINT applications_erased_means_cleared CHECK (
    personal_data_erased_at IS NULL OR (pan_hmac IS NULL AND pan_ciphertext IS NULL AND pan_key_id IS NULL
        AND pan_masked IS NULL AND applicant_name IS NULL AND applicant_name_ciphertext IS NULL));
ALTER TABLE applications ADD CONSTRAINT applications_present_means_pan CHECK (
    personal_data_erased_at IS NOT NULL OR (pan_hmac IS NOT NULL AND pan_ciphertext IS NOT NULL
        AND pan_key_id IS NOT NULL AND pan_masked IS NOT NULL));
