// SQL of the decision module's HTTP routes (review, history, event feed). Names double as prepared-statement
// names. Every statement looks the application up by id AND owning client: another client's application is
// indistinguishable from an unknown one (contract section 6, Isolation).
#pragma once

#include <prequal/outbox/sql.hpp>
#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace prequal::decision::queries {

// $1 id, $2 client → what a review needs to check and to announce (no row: unknown to this client).
inline constexpr pg::statement read_for_review{
    "decision_read_for_review",
    "SELECT version, status, cibil_score, monthly_income::text AS monthly_income FROM applications "
    "WHERE id = $1::uuid AND client = $2"};
struct review_row {
    std::int64_t version = 0;
    std::string status;
    std::optional<std::int64_t> cibil_score;
    std::string monthly_income;  // exact decimal text
    static constexpr auto columns =
        std::tuple{pg::col("version", &review_row::version), pg::col("status", &review_row::status),
                   pg::col("cibil_score", &review_row::cibil_score),
                   pg::col("monthly_income", &review_row::monthly_income)};
};

// The review as the rules' decision is recorded: one version-checked UPDATE (only a MANUAL_REVIEW at the
// expected version) with its audit row, its decision-history row, its application_decided outbox event and
// its event-feed row; all or nothing. Returns the new version only when it applied.
// $1 id, $2 expected version, $3 status, $4 reason, $5 max amount or NULL, $6 reason code, $7 request id,
// $8 reviewer, $9 event message id, $10 client, $11 topic, $12 event payload, $13 traceparent, $14 tracestate
// (the request's trace context, for the event).
inline constexpr pg::statement apply_review{
    "decision_apply_review",
    "WITH upd AS (UPDATE applications SET status = $3, decision_reason = $4, max_approved_amount = "
    "$5::numeric, "
    "  reason_codes = ARRAY[$6::text], ruleset_version = NULL, decided_by = 'review', version = version + 1, "
    "  updated_at = now() "
    "  WHERE id = $1::uuid AND client = $10 AND version = $2::int AND status = 'MANUAL_REVIEW' "
    "  RETURNING id, version, updated_at), "
    "au AS (INSERT INTO audit_log (application_id, action, actor, request_id, detail) "
    "  SELECT id, 'REVIEW_RECORDED', 'review', $7, jsonb_build_object('status', $3::text, 'version', "
    "version, "
    "  'reason_codes', jsonb_build_array($6::text), 'reviewer', $8::text) FROM upd), "
    "hist AS (INSERT INTO decision_history (application_id, version, status, decided_by, reason_codes, "
    "  decision_reason, reviewer, max_approved_amount, decided_at) "
    "  SELECT id, version, $3, 'review', ARRAY[$6::text], $4, $8, $5::numeric, updated_at FROM upd), "
    "ob AS (" PREQUAL_OUTBOX_INSERT
    "SELECT $9::uuid, id::text, $11, 'application_decided', $7, $12, " PREQUAL_OUTBOX_TRACE("$13", "$14")
    " FROM upd), "
    "feed AS (INSERT INTO decision_events (client, message_id, application_id, payload) "
    "  SELECT $10, $9::uuid, id, $12 FROM upd) "
    "SELECT version FROM upd"};

// Wakes long polls waiting on this application (the status handler LISTENs on this channel). $1 id.
inline constexpr pg::statement notify_decided{"decision_notify_decided",
                                              "SELECT pg_notify('application_decided', $1)"};

// $1 id, $2 client → one row per decision in order, or one row of NULLs for an application without any
// (PENDING); no row: unknown to this client.
inline constexpr pg::statement read_history{
    "decision_read_history",
    "SELECT h.version, h.status, h.decided_by, array_to_json(h.reason_codes)::text AS reason_codes, "
    "  h.decision_reason, h.ruleset_version, h.reviewer, "
    "  to_char(h.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS decided_at "
    "FROM applications a LEFT JOIN decision_history h ON h.application_id = a.id "
    "WHERE a.id = $1::uuid AND a.client = $2 ORDER BY h.version"};
struct history_row {
    std::optional<std::int64_t> version;  // none: the application has no decision yet
    std::optional<std::string> status;
    std::optional<std::string> decided_by;
    std::optional<std::string> reason_codes;  // JSON array text
    std::optional<std::string> decision_reason;
    std::optional<std::string> ruleset_version;
    std::optional<std::string> reviewer;
    std::optional<std::string> decided_at;
    static constexpr auto columns = std::tuple{pg::col("version", &history_row::version),
                                               pg::col("status", &history_row::status),
                                               pg::col("decided_by", &history_row::decided_by),
                                               pg::col("reason_codes", &history_row::reason_codes),
                                               pg::col("decision_reason", &history_row::decision_reason),
                                               pg::col("ruleset_version", &history_row::ruleset_version),
                                               pg::col("reviewer", &history_row::reviewer),
                                               pg::col("decided_at", &history_row::decided_at)};
};

// $1 client, $2 after (feed position), $3 limit → the client's next sequenced events in feed order (events
// not yet sequenced are not shown: their positions will all be larger than any shown now).
inline constexpr pg::statement read_feed{
    "decision_read_feed",
    "SELECT seq, message_id::text AS message_id, application_id::text AS application_id, payload "
    "FROM decision_events "
    "WHERE client = $1 AND seq IS NOT NULL AND seq > $2::bigint ORDER BY seq LIMIT $3::int"};
struct feed_row {
    std::int64_t seq = 0;
    std::string message_id;
    std::string application_id;  // for the access trail
    std::string payload;
    static constexpr auto columns = std::tuple{
        pg::col("seq", &feed_row::seq), pg::col("message_id", &feed_row::message_id),
        pg::col("application_id", &feed_row::application_id), pg::col("payload", &feed_row::payload)};
};

}  // namespace prequal::decision::queries
