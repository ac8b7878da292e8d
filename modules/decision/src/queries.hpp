// SQL of the decision module. Names double as prepared-statement names.
#pragma once

#include <prequal/outbox/sql.hpp>
#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <string>
#include <tuple>

namespace prequal::decision::queries {

// $1 application id → version, status and owning client (migration 005; no row: unknown application).
inline constexpr pg::statement read_version{
    "decision_read_version", "SELECT version, status, client FROM applications WHERE id = $1::uuid"};
struct version_row {
    std::int64_t version = 0;
    std::string status;
    std::string client;
    static constexpr auto columns =
        std::tuple{pg::col("version", &version_row::version), pg::col("status", &version_row::status),
                   pg::col("client", &version_row::client)};
};

// Version-checked update plus its audit row, its decision-history row, its application_decided outbox event
// (the platform's outbox SQL, prequal/outbox/sql.hpp), its event-feed row (numbered after commit by
// event_sequencer) and a NOTIFY on channel $13 with the application id (delivered only if the transaction
// commits; it wakes the long polls of every replica): all or nothing. Returns a row only when the version
// still matched (pg_notify runs only for that row).
// $1 id, $2 expected version, $3 status, $4 score, $5 reason, $6 max amount or NULL, $7 request id,
// $8 reason codes (comma-separated), $9 ruleset version, $10 event message id, $11 topic, $12 event payload,
// $13 notification channel, $14 traceparent, $15 tracestate (the handler's trace context, for the event).
inline constexpr pg::statement apply_decision{
    "decision_apply",
    "WITH upd AS (UPDATE applications SET status = $3, cibil_score = $4::int, decision_reason = $5, "
    "  max_approved_amount = $6::numeric, reason_codes = string_to_array($8, ','), ruleset_version = $9, "
    "  decided_by = 'rules', version = version + 1, updated_at = now() "
    "  WHERE id = $1::uuid AND version = $2::int AND status = 'PENDING' RETURNING id, version, updated_at, "
    "client), "
    "au AS (INSERT INTO audit_log (application_id, action, actor, request_id, detail) "
    "  SELECT id, 'DECISION_RECORDED', 'decision', $7, jsonb_build_object('status', $3::text, "
    "  'cibil_score', $4::int, 'version', version, 'reason_codes', to_jsonb(string_to_array($8, ',')), "
    "  'ruleset_version', $9::text) FROM upd), "
    "hist AS (INSERT INTO decision_history (application_id, version, status, decided_by, reason_codes, "
    "  decision_reason, ruleset_version, max_approved_amount, decided_at) "
    "  SELECT id, version, $3, 'rules', string_to_array($8, ','), $5, $9, $6::numeric, updated_at FROM upd), "
    "ob AS (" PREQUAL_OUTBOX_INSERT
    "SELECT $10::uuid, id::text, $11, 'application_decided', $7, $12, " PREQUAL_OUTBOX_TRACE("$14", "$15")
    " FROM upd), "
    "feed AS (INSERT INTO decision_events (client, message_id, application_id, payload) "
    "  SELECT client, $10::uuid, id, $12 FROM upd) "
    "SELECT version, pg_notify($13, id::text) FROM upd"};

}  // namespace prequal::decision::queries
