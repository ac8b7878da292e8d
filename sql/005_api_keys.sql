-- 005: API clients (contract section 6). Keys with scopes and limits; every application belongs to the client
-- that submitted it; Idempotency-Keys are per client. Forward-only; never edit once applied.

-- One row per API key. The key a client presents is pq_<id>_<secret>; only the SHA-256 of the secret is
-- stored (a machine-generated 256-bit secret needs no password hash: docs/access.md). Several keys may share
-- one client name: they are one client (rotation). rate_limit/burst NULL = the serving process's defaults;
-- 0 = unlimited.
CREATE TABLE api_keys (
    id             text PRIMARY KEY,
    client         text NOT NULL CHECK (client <> ''),
    secret_sha256  text NOT NULL,
    scopes         text[] NOT NULL,
    rate_limit     integer CHECK (rate_limit >= 0),
    burst          integer CHECK (burst >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz,
    last_used_at   timestamptz,
    revoked_at     timestamptz
);

-- The owning client of each application. Rows from before this migration, and rows written by a process
-- running with --auth=none, belong to the client named 'anonymous'. (A constant default: no table rewrite.)
ALTER TABLE applications ADD COLUMN client text NOT NULL DEFAULT 'anonymous';

-- Idempotency-Keys become per client: existing keys belong to 'anonymous'.
ALTER TABLE idempotency_keys ADD COLUMN client text NOT NULL DEFAULT 'anonymous';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (client, idempotency_key);
