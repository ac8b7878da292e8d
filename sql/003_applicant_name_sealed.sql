-- 003: the applicant's name is personal data too: stored like the PAN, as AES-256-GCM ciphertext with its
-- key id (authenticated data: 'applicant_name:' || application id). Forward-only; never edit once applied.
-- Rows written before this migration keep the name in clear in applicant_name until `prequal serve`
-- seals them (in batches, at start-up, by a replica running the api module); then the column stays NULL.
ALTER TABLE applications ADD COLUMN applicant_name_ciphertext text;
ALTER TABLE applications ADD COLUMN applicant_name_key_id text;
ALTER TABLE applications ADD CONSTRAINT applications_applicant_name_sealed_pair
    CHECK ((applicant_name_ciphertext IS NULL) = (applicant_name_key_id IS NULL));
-- Finds the rows still to seal without a scan once they are all done.
CREATE INDEX applications_applicant_name_clear_idx ON applications (id) WHERE applicant_name IS NOT NULL;
