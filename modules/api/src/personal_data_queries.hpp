// SQL of the personal-data operations (personal_data.cpp), with the row structs their results decode into.
// Names double as prepared-statement names.
#pragma once

#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
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

// Erasure in one statement (contract section 8). The application row is locked first, so a concurrent
// erasure waits and then finds it erased. Only a decided, not yet erased application changes: its data key
// goes, every column derived from the PAN or the name is cleared, its claim goes when it no longer blocks
// (the duplicate rule's 24 h; a REJECTED holder never blocks), and the audit row is written. No row back:
// unknown id (or another client's). $1 id, $2 client (NULL: any), $3 request id, $4 actor ('api' or
// 'operator'), $5 audit detail (jsonb text).
inline constexpr pg::statement erase{
    "api_erase_personal_data",
    "WITH a AS (SELECT id, status, pan_hmac, personal_data_erased_at FROM applications "
    "  WHERE id = $1::uuid AND ($2::text IS NULL OR client = $2) FOR UPDATE), "
    "e AS (UPDATE applications t SET pan_hmac = NULL, pan_ciphertext = NULL, pan_key_id = NULL, "
    "  pan_masked = NULL, applicant_name = NULL, applicant_name_ciphertext = NULL, "
    "  applicant_name_key_id = NULL, personal_data_erased_at = now(), updated_at = now() "
    "  FROM a WHERE t.id = a.id AND a.status <> 'PENDING' AND a.personal_data_erased_at IS NULL "
    "  RETURNING t.id), "
    "dk AS (DELETE FROM data_keys WHERE application_id IN (SELECT id FROM e)), "
    "pc AS (DELETE FROM pan_claims c USING a WHERE c.pan_hmac = a.pan_hmac AND c.application_id = a.id "
    "  AND EXISTS (SELECT 1 FROM e) "
    "  AND (a.status = 'REJECTED' OR c.claimed_at <= now() - interval '24 hours')), "
    "au AS (INSERT INTO audit_log (application_id, action, actor, request_id, detail) "
    "  SELECT id, 'PERSONAL_DATA_ERASED', $4, NULLIF($3, ''), $5::jsonb FROM e) "
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

}  // namespace prequal::api::queries
