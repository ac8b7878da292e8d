-- 011: the applicant's consent (contract section 8), stored with the application in the submission's
-- transaction; at most one per application, none when the request carried none. Not personal data (what was
-- agreed to, which text, when, through which channel) and the evidence that processing was lawful, so it is
-- kept in clear and survives erasure (docs/pan-protection.md, "Consent"). Forward-only; never edit once applied.
CREATE TABLE consents (
    application_id  uuid PRIMARY KEY REFERENCES applications (id),
    purpose         text NOT NULL CHECK (char_length(purpose) BETWEEN 1 AND 64),
    text_version    text NOT NULL CHECK (char_length(text_version) BETWEEN 1 AND 64),
    given_at        timestamptz NOT NULL,
    channel         text CHECK (char_length(channel) BETWEEN 1 AND 32),
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
