// SQL of the API module, run only by applications_repository.cpp, with the row struct each result decodes
// into. Names double as prepared-statement names.
#pragma once

#include <prequal/outbox/sql.hpp>
#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace prequal::api::queries {

// The whole submission in one statement (one round trip, one transaction): take the PAN's claim — only
// if free, expired (24 h) or held by a REJECTED application; concurrent claims of one PAN serialize on the
// primary key — then insert the application, its wrapped data key, its audit rows and its outbox event (the
// platform's PREQUAL_OUTBOX_INSERT).
// No row back = duplicate.
// $1 id, $2 pan hmac, $3 ciphertext, $4 key id, $5 masked, $6 sealed name, $7 income, $8 loan, $9 loan type,
// $10 request id, $11 message id, $12 topic, $13 payload, $14 the name's key id, $15 the owning client,
// $16 the master key id wrapping the data key, $17 the wrapped data key (the only copy of the data key),
// $18 consent purpose (NULL: no consent, nothing inserted in consents), $19 its text version, $20 its
// given_at in microseconds since 1970-01-01T00:00:00Z (exact: whole seconds and the microseconds are added
// apart, each exact in the float8 an interval is multiplied by), $21 its channel (NULL when absent),
// $22 traceparent, $23 tracestate (the request's trace context, for the event).
inline constexpr pg::statement submit{
    "api_submit",
    "WITH claim AS ("
    "  INSERT INTO pan_claims AS c (pan_hmac, application_id, claimed_at) VALUES ($2, $1::uuid, now()) "
    "  ON CONFLICT (pan_hmac) DO UPDATE SET application_id = EXCLUDED.application_id, claimed_at = "
    "EXCLUDED.claimed_at "
    "  WHERE c.claimed_at <= now() - interval '24 hours' "
    "     OR EXISTS (SELECT 1 FROM applications a WHERE a.id = c.application_id AND a.status = 'REJECTED') "
    "  RETURNING application_id), "
    "app AS (INSERT INTO applications (id, pan_hmac, pan_ciphertext, pan_key_id, pan_masked, "
    "  applicant_name_ciphertext, applicant_name_key_id, monthly_income, loan_amount, loan_type, request_id, "
    "  client) "
    "  SELECT application_id, $2, $3, $4, $5, $6, $14, $7::numeric, $8::numeric, $9, $10, $15 FROM claim "
    "  RETURNING id), "
    "au AS (INSERT INTO audit_log (application_id, action, actor, request_id, detail) "
    "  SELECT id, 'PAN_ENCRYPTED', 'api', $10, jsonb_build_object('key_id', $4::text) FROM app "
    "  UNION ALL SELECT id, 'APPLICATION_SUBMITTED', 'api', $10, NULL FROM app), "
    "dk AS (INSERT INTO data_keys (application_id, master_key_id, wrapped_key) SELECT id, $16, $17 FROM "
    "app), "
    "co AS (INSERT INTO consents (application_id, purpose, text_version, given_at, channel) "
    "  SELECT id, $18::text, $19::text, "
    "    timestamptz 'epoch' + ($20::bigint / 1000000) * interval '1 second' "
    "      + ($20::bigint % 1000000) * interval '1 microsecond', "
    "    $21::text FROM app WHERE $18::text IS NOT NULL), "
    "ob AS (" PREQUAL_OUTBOX_INSERT
    "SELECT $11::uuid, id::text, $12, 'loan_application_submitted', $10, $13, " PREQUAL_OUTBOX_TRACE(
        "$22", "$23") "  FROM app) "
    "SELECT id FROM app"};

// $1 key, $2 request hash, $3 application id, $4 client (keys are per client). No row back = the client's
// key exists (possibly just committed by a concurrent request with the same key, which this statement
// waited for).
inline constexpr pg::statement claim_idempotency_key{
    "api_claim_idempotency_key",
    "INSERT INTO idempotency_keys (idempotency_key, request_hash, application_id, client) "
    "VALUES ($1, $2, $3::uuid, $4) ON CONFLICT DO NOTHING RETURNING 1"};

// $1 key, $2 client → the request hash and application id stored with it (no row: the key is gone).
inline constexpr pg::statement find_idempotency_key{
    "api_find_idempotency_key",
    "SELECT request_hash, application_id FROM idempotency_keys WHERE client = $2 AND idempotency_key = $1"};
struct idempotency_key_row {
    std::string request_hash;
    std::string application_id;
    static constexpr auto columns =
        std::tuple{pg::col("request_hash", &idempotency_key_row::request_hash),
                   pg::col("application_id", &idempotency_key_row::application_id)};
};

// Status read: a plain SELECT (contract section 8: reads write nothing; the access trail records the read
// off the request path). $1 id, $2 client. No row: unknown id or another client's application; the owner is
// part of the one look-up, so both cost the same.
inline constexpr pg::statement status{
    "api_status",
    "SELECT id, status, cibil_score, pan_masked, decision_reason, max_approved_amount::text, "
    "  CASE WHEN personal_data_erased_at IS NULL THEN 'PRESENT' ELSE 'ERASED' END AS personal_data, "
    "  EXISTS (SELECT 1 FROM consents c WHERE c.application_id = applications.id) AS consent_recorded, "
    "  array_to_json(reason_codes)::text AS reason_codes, ruleset_version, version, decided_by, "
    "  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at, "
    "  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS updated_at "
    "FROM applications WHERE id = $1::uuid AND client = $2"};
struct status_row {
    std::string id;
    std::string status;
    std::optional<std::int64_t> cibil_score;
    std::optional<std::string> pan_masked;  // null once the personal data is erased
    std::optional<std::string> decision_reason;
    std::optional<std::string> max_approved_amount;  // exact decimal text
    std::optional<std::string> reason_codes;         // JSON array text, e.g. ["SCORE_BELOW_650"]
    std::optional<std::string> ruleset_version;
    std::string personal_data;              // PRESENT | ERASED
    bool consent_recorded = false;          // a consent was stored with the application (stays after erasure)
    std::int64_t version = 0;               // grows with every change (contract section 10)
    std::optional<std::string> decided_by;  // "rules" or "review"; none while PENDING
    std::string created_at;                 // UTC ISO-8601 with milliseconds
    std::string updated_at;
    static constexpr auto columns =
        std::tuple{pg::col("id", &status_row::id),
                   pg::col("status", &status_row::status),
                   pg::col("cibil_score", &status_row::cibil_score),
                   pg::col("pan_masked", &status_row::pan_masked),
                   pg::col("decision_reason", &status_row::decision_reason),
                   pg::col("max_approved_amount", &status_row::max_approved_amount),
                   pg::col("reason_codes", &status_row::reason_codes),
                   pg::col("ruleset_version", &status_row::ruleset_version),
                   pg::col("personal_data", &status_row::personal_data),
                   pg::col("consent_recorded", &status_row::consent_recorded),
                   pg::col("version", &status_row::version),
                   pg::col("decided_by", &status_row::decided_by),
                   pg::col("created_at", &status_row::created_at),
                   pg::col("updated_at", &status_row::updated_at)};
};

// Sealing names stored in clear before migration 003, a batch per transaction; replicas share the work.
// $1 batch size.
inline constexpr pg::statement clear_names{
    "api_clear_names",
    "SELECT id::text, applicant_name FROM applications WHERE applicant_name IS NOT NULL "
    "LIMIT $1::int FOR UPDATE SKIP LOCKED"};
struct clear_name_row {
    std::string id;
    std::string applicant_name;
    static constexpr auto columns = std::tuple{pg::col("id", &clear_name_row::id),
                                               pg::col("applicant_name", &clear_name_row::applicant_name)};
};

// $1 id, $2 sealed name, $3 key id.
inline constexpr pg::statement seal_name{"api_seal_name",
                                         "UPDATE applications SET applicant_name = NULL, "
                                         "applicant_name_ciphertext = $2, applicant_name_key_id = $3 "
                                         "WHERE id = $1::uuid"};

}  // namespace prequal::api::queries
