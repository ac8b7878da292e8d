// SQL of the credit module. Names double as prepared-statement names.
#pragma once

#include <prequal/outbox/sql.hpp>
#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace prequal::credit::queries {

// One statement = one transaction: record the message in the inbox (duplicate → nothing else happens), write
// the report (at most one per application), its outbox event and the audit rows (the platform's inbox and
// outbox SQL, prequal/outbox/sql.hpp). The report's audit row (the score "pull") names the consent it relied
// on, as stored with the application (the api module's `consents`), or "consent": null when there was none.
// $1 group, $2 message id, $3 application id, $4 score, $5 report message id, $6 topic, $7 payload,
// $8 request id, $9 key id used to decrypt, $10 traceparent, $11 tracestate (the handler's trace context).
inline constexpr pg::statement record_report{
    "credit_record_report",
    "WITH pm AS (" PREQUAL_INBOX_RECORD("$1", "$2") "), "
    "cr AS (INSERT INTO credit_reports (application_id, cibil_score, message_id) "
    "  SELECT $3::uuid, $4::int, $5::uuid FROM pm ON CONFLICT (application_id) DO NOTHING "
    "  RETURNING application_id), "
    "ob AS (" PREQUAL_OUTBOX_INSERT "SELECT $5::uuid, application_id::text, $6, 'credit_report_generated', $8, $7, "
    PREQUAL_OUTBOX_TRACE("$10", "$11") "  FROM cr RETURNING id), "
    "au AS (INSERT INTO audit_log (application_id, action, actor, request_id, detail) "
    "  SELECT $3::uuid, 'PAN_DECRYPTED', 'credit', $8, jsonb_build_object('key_id', $9::text) "
    "  UNION ALL SELECT application_id, 'CREDIT_REPORT_GENERATED', 'credit', $8, "
    "  jsonb_build_object('cibil_score', $4::int, 'consent', (SELECT jsonb_build_object('purpose', c.purpose, "
    "    'text_version', c.text_version, 'channel', c.channel, 'given_at', "
    "    to_char(c.given_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')) "
    "    FROM consents c WHERE c.application_id = cr.application_id)) FROM cr) "
    "SELECT (SELECT count(*) FROM pm) AS recorded, (SELECT count(*) FROM ob) AS enqueued"};

// The application's wrapped data key, read by its own statement before record_report, and whether
// the message was already processed (a redelivery after erasure finds no key). Always one row.
// $1 application id, $2 group, $3 message id.
inline constexpr pg::statement data_key{
    "credit_data_key",
    "SELECT dk.master_key_id, dk.wrapped_key, EXISTS (SELECT 1 FROM processed_messages p "
    "  WHERE p.consumer_group = $2 AND p.message_id = $3::uuid) AS processed "
    "FROM (VALUES (1)) one LEFT JOIN data_keys dk ON dk.application_id = $1::uuid"};
struct data_key_row {
    std::optional<std::string> master_key_id;  // both null: no data key (erased, or an unknown application)
    std::optional<std::string> wrapped_key;
    bool processed = false;
    static constexpr auto columns = std::tuple{pg::col("master_key_id", &data_key_row::master_key_id),
                                               pg::col("wrapped_key", &data_key_row::wrapped_key),
                                               pg::col("processed", &data_key_row::processed)};
};

// record_report's one row: recorded = 0 means a duplicate message; enqueued = 0 means the application
// already had its report (nothing new to publish).
struct record_report_row {
    std::int64_t recorded = 0;
    std::int64_t enqueued = 0;
    static constexpr auto columns = std::tuple{pg::col("recorded", &record_report_row::recorded),
                                               pg::col("enqueued", &record_report_row::enqueued)};
};

}  // namespace prequal::credit::queries
