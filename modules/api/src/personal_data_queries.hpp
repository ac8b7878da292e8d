// SQL of the personal-data operations (personal_data.cpp), with the row structs their results decode into.
// Names double as prepared-statement names.
#pragma once

#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace prequal::api::queries {

// A batch of data keys still wrapped under another master key than $1, locked for this transaction only
// (SKIP LOCKED: a concurrent run takes other rows). $1 the first key's id, $2 batch size, $3 the ids this run
// found unreadable (a uuid[] literal), not to be read again.
inline constexpr pg::statement stale_data_keys{
    "api_stale_data_keys",
    "SELECT application_id::text, master_key_id, wrapped_key FROM data_keys WHERE master_key_id <> $1 "
    "AND application_id <> ALL ($3::uuid[]) LIMIT $2::int FOR UPDATE SKIP LOCKED"};
struct stale_data_key_row {
    std::string application_id;
    std::string master_key_id;
    std::string wrapped_key;
    static constexpr auto columns = std::tuple{pg::col("application_id", &stale_data_key_row::application_id),
                                               pg::col("master_key_id", &stale_data_key_row::master_key_id),
                                               pg::col("wrapped_key", &stale_data_key_row::wrapped_key)};
};

// $1 application id, $2 master key id, $3 wrapped key.
inline constexpr pg::statement rewrap_data_key{
    "api_rewrap_data_key",
    "UPDATE data_keys SET master_key_id = $2, wrapped_key = $3 WHERE application_id = $1::uuid"};

// Erasure (contract section 8), shared by every way of erasing so that they cannot drift apart: the steps
// after a CTE `a` (id, status, pan_hmac, personal_data_erased_at) that selected and locked the applications
// to erase. Only a decided, not yet erased application changes: its data key goes, every column derived from
// the PAN or the name is cleared, its claim goes when it no longer blocks (the duplicate rule's 24 h; a
// REJECTED holder never blocks; the pan_claims sweep takes the others later), and one audit row is written by
// `actor` with `request_id` and `detail` (SQL expressions). Defines `e`, the erased applications' ids.
#define PREQUAL_API_ERASE_SELECTED(actor, request_id, detail)                                            \
    "e AS (UPDATE applications t SET pan_hmac = NULL, pan_ciphertext = NULL, pan_key_id = NULL, "        \
    "  pan_masked = NULL, applicant_name = NULL, applicant_name_ciphertext = NULL, "                     \
    "  applicant_name_key_id = NULL, personal_data_erased_at = now(), updated_at = now() "               \
    "  FROM a WHERE t.id = a.id AND a.status <> 'PENDING' AND a.personal_data_erased_at IS NULL "        \
    "  RETURNING t.id), "                                                                                \
    "dk AS (DELETE FROM data_keys WHERE application_id IN (SELECT id FROM e)), "                         \
    "pc AS (DELETE FROM pan_claims c USING a WHERE c.pan_hmac = a.pan_hmac AND c.application_id = a.id " \
    "  AND a.id IN (SELECT id FROM e) "                                                                  \
    "  AND (a.status = 'REJECTED' OR c.claimed_at <= now() - interval '24 hours')), "                    \
    "au AS (INSERT INTO audit_log (application_id, action, actor, request_id, detail) "                  \
    "  SELECT id, 'PERSONAL_DATA_ERASED', " actor ", " request_id ", " detail " FROM e) "

// One application's erasure in one statement. The application row is locked first, so a concurrent erasure
// waits and then finds it erased. No row back: unknown id (or another client's). $1 id, $2 client (NULL:
// any), $3 request id, $4 actor ('api' or 'operator'), $5 audit detail (jsonb text).
inline constexpr pg::statement erase{
    "api_erase_personal_data",
    "WITH a AS (SELECT id, status, pan_hmac, personal_data_erased_at FROM applications "
    "  WHERE id = $1::uuid AND ($2::text IS NULL OR client = $2) FOR UPDATE), "
    // clang-format off
    PREQUAL_API_ERASE_SELECTED("$4", "NULLIF($3, '')", "$5::jsonb")
    // clang-format on
    "SELECT a.status, a.personal_data_erased_at IS NOT NULL AS was_erased, "
    "  (SELECT count(*) FROM e) AS erased FROM a"};
struct erase_row {
    std::string status;
    bool was_erased = false;
    std::int64_t erased = 0;
    static constexpr auto columns =
        std::tuple{pg::col("status", &erase_row::status), pg::col("was_erased", &erase_row::was_erased),
                   pg::col("erased", &erase_row::erased)};
};

// Retention (contract section 8): at most $2 applications decided more than $1 ms ago and not erased yet,
// oldest first, erased exactly as above with the audit row's why `retention`. A decided application's
// updated_at is its last decision's time (decision_history.decided_at is written from it) and only erasure
// changes it afterwards, so the age is read from the partial index applications_personal_data_held_idx
// (migration 014). SKIP LOCKED: an application an erasure request holds is left to it (and found erased
// next time). One row back per erased application, so the job's row count is the number erased.
inline constexpr std::string_view erase_due =
    "WITH a AS (SELECT id, status, pan_hmac, personal_data_erased_at FROM applications "
    "  WHERE status <> 'PENDING' AND personal_data_erased_at IS NULL "
    "  AND updated_at < now() - $1::bigint * interval '1 millisecond' "
    "  ORDER BY updated_at LIMIT $2::int FOR UPDATE SKIP LOCKED), "
    // clang-format off
    PREQUAL_API_ERASE_SELECTED("'retention'", "NULL", "'{\"why\": \"retention\"}'::jsonb")
    // clang-format on
    "SELECT id FROM e";

// How many applications retention would erase now ($1 ms as above), counted up to $2 along the same index.
inline constexpr pg::statement erasure_due{
    "api_personal_data_erasure_due",
    "SELECT count(*) AS due FROM (SELECT 1 FROM applications WHERE status <> 'PENDING' "
    "  AND personal_data_erased_at IS NULL AND updated_at < now() - $1::bigint * interval '1 millisecond' "
    "  LIMIT $2::bigint) s"};
struct erasure_due_row {
    std::int64_t due = 0;
    static constexpr auto columns = std::tuple{pg::col("due", &erasure_due_row::due)};
};

// The pan_claims sweep: at most $2 claims older than $1 ms (the duplicate rule's 24 h), which therefore no
// longer block anything: a submission of that PAN takes an expired claim over exactly as it inserts a missing
// one. Erasure leaves a claim that still blocks; this deletes it (and every other expired claim, each a copy
// of applications.pan_hmac that serves no purpose any more) once its 24 h are over. The age is re-checked
// outside the sub-select: a claim taken over meanwhile is young again and stays.
inline constexpr std::string_view delete_expired_claims =
    "DELETE FROM pan_claims WHERE pan_hmac IN (SELECT pan_hmac FROM pan_claims "
    "  WHERE claimed_at <= now() - $1::bigint * interval '1 millisecond' "
    "  LIMIT $2::int FOR UPDATE SKIP LOCKED) "
    "  AND claimed_at <= now() - $1::bigint * interval '1 millisecond'";

}  // namespace prequal::api::queries
