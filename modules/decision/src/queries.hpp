// SQL of the decision module. Names double as prepared-statement names.
#pragma once

#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <string>
#include <tuple>

namespace prequal::decision::queries {

// $1 application id → version, status (no row: unknown application).
inline constexpr pg::statement read_version{"decision_read_version",
                                            "SELECT version, status FROM applications WHERE id = $1::uuid"};
struct version_row {
    std::int64_t version = 0;
    std::string status;
    static constexpr auto columns =
        std::tuple{pg::col("version", &version_row::version), pg::col("status", &version_row::status)};
};

// Version-checked update plus its audit row; returns a row only when the version still matched.
// $1 id, $2 expected version, $3 status, $4 score, $5 reason, $6 max amount or NULL, $7 request id.
inline constexpr pg::statement apply_decision{
    "decision_apply",
    "WITH upd AS (UPDATE applications SET status = $3, cibil_score = $4::int, decision_reason = $5, "
    "  max_approved_amount = $6::numeric, version = version + 1, updated_at = now() "
    "  WHERE id = $1::uuid AND version = $2::int AND status = 'PENDING' RETURNING id, version), "
    "au AS (INSERT INTO audit_log (application_id, action, actor, request_id, detail) "
    "  SELECT id, 'DECISION_RECORDED', 'decision', $7, jsonb_build_object('status', $3::text, "
    "  'cibil_score', $4::int, 'version', version) FROM upd) "
    "SELECT version FROM upd"};

}  // namespace prequal::decision::queries
