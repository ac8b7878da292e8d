// SQL of the notify module (tables of sql/008_webhooks.sql). Names double as prepared-statement names.
#pragma once

#include <prequal/outbox/sql.hpp>
#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace prequal::notify::queries {

// The channel a new delivery (or a `dlq replay` re-arming one) is announced on; every dispatcher LISTENs.
inline constexpr const char* channel = "prequal_webhooks";

// One decided event, in one statement (one transaction): record it in the inbox and, when its client has a
// webhook, queue its delivery (idempotent on the event id) and NOTIFY the dispatchers.
// $1 group, $2 event id, $3 client, $4 application id, $5 payload, $6 traceparent (the consumer's span; ''
// = none). → is_new (0: a duplicate), queued.
inline constexpr pg::statement queue_delivery{
    "notify_queue_delivery",
    "WITH inbox AS (" PREQUAL_INBOX_RECORD("$1", "$2") "), "
    "ins AS (INSERT INTO webhook_deliveries (event_id, client, application_id, payload, traceparent) "
    "  SELECT $2::uuid, $3, $4, $5::json, nullif($6, '') FROM inbox "
    "  WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.client = $3) "
    "  ON CONFLICT (event_id) DO NOTHING RETURNING id), "
    "n AS (SELECT pg_notify('prequal_webhooks', '') FROM ins) "
    "SELECT (SELECT count(*) FROM inbox) AS is_new, (SELECT count(*) FROM ins) + "
    "  (SELECT count(*) * 0 FROM n) AS queued"};
struct queued_row {
    std::int64_t is_new = 0;
    std::int64_t queued = 0;
    static constexpr auto columns =
        std::tuple{pg::col("is_new", &queued_row::is_new), pg::col("queued", &queued_row::queued)};
};

// Claims up to $1 due deliveries that no earlier live delivery of the same application precedes, skipping
// rows other replicas hold and the clients in $3 (whose receiver host has no free slot here), and leases
// them for $2 milliseconds. The lease value is the claim's token. Each row comes with its webhook's URL and
// sealed secrets (the previous one only while it still signs); a row whose webhook was removed has none.
inline constexpr pg::statement claim_due{
    "notify_claim_due",
    "WITH c AS (SELECT d.id FROM webhook_deliveries d "
    "  WHERE d.delivered_at IS NULL AND d.dead_at IS NULL AND d.due_at <= now() "
    "    AND (d.claimed_until IS NULL OR d.claimed_until < now()) "
    "    AND d.client <> ALL ($3::text[]) "
    "    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.application_id = d.application_id "
    "      AND p.id < d.id AND p.delivered_at IS NULL AND p.dead_at IS NULL) "
    "  ORDER BY d.due_at, d.id LIMIT $1::int FOR UPDATE SKIP LOCKED), "
    "u AS (UPDATE webhook_deliveries d SET claimed_until = clock_timestamp() + $2::bigint * interval "
    "  '1 millisecond' FROM c WHERE d.id = c.id "
    "  RETURNING d.id, d.event_id, d.client, d.payload, d.attempts, d.claimed_until, d.traceparent) "
    "SELECT u.id, u.event_id::text AS event_id, u.client, u.payload::text AS payload, u.attempts, "
    "  coalesce(u.traceparent, '') AS traceparent, "
    "  u.claimed_until::text AS lease, w.url, w.secret_key_id, w.secret_ciphertext, "
    "  CASE WHEN w.previous_expires_at > now() THEN w.previous_key_id END AS previous_key_id, "
    "  CASE WHEN w.previous_expires_at > now() THEN w.previous_ciphertext END AS previous_ciphertext "
    "FROM u LEFT JOIN webhooks w ON w.client = u.client ORDER BY u.id"};
struct claimed_row {
    std::int64_t id = 0;
    std::string event_id;
    std::string client;
    std::string payload;
    std::int64_t attempts = 0;
    std::string lease;
    std::optional<std::string> url;
    std::optional<std::string> secret_key_id;
    std::optional<std::string> secret_ciphertext;
    std::optional<std::string> previous_key_id;
    std::optional<std::string> previous_ciphertext;
    std::string traceparent;  // the notify consumer's span, sent with each attempt ("" for older rows)
    static constexpr auto columns =
        std::tuple{pg::col("id", &claimed_row::id),
                   pg::col("event_id", &claimed_row::event_id),
                   pg::col("client", &claimed_row::client),
                   pg::col("payload", &claimed_row::payload),
                   pg::col("attempts", &claimed_row::attempts),
                   pg::col("lease", &claimed_row::lease),
                   pg::col("url", &claimed_row::url),
                   pg::col("secret_key_id", &claimed_row::secret_key_id),
                   pg::col("secret_ciphertext", &claimed_row::secret_ciphertext),
                   pg::col("previous_key_id", &claimed_row::previous_key_id),
                   pg::col("previous_ciphertext", &claimed_row::previous_ciphertext),
                   pg::col("traceparent", &claimed_row::traceparent)};
};

// A 2xx arrived: delivered. Unconditional on the lease (it was delivered, whoever holds the row now).
// $1 id, $2 HTTP status.
inline constexpr pg::statement mark_delivered{
    "notify_mark_delivered",
    "UPDATE webhook_deliveries SET delivered_at = now(), attempts = attempts + 1, last_status = $2::int, "
    "  last_error = NULL, claimed_until = NULL WHERE id = $1::bigint AND delivered_at IS NULL"};

// A failed attempt, applied only by the lease holder ($2). The next attempt is due after $5 ms, but never
// later than the max age ($6 ms after armed_at), so the last attempt happens at the max age; a failure at or
// past it kills the row and writes a dead letter (topic 'webhooks', key = application id, payload = the body)
// that `prequal dlq list/show/replay` handle.
// $1 id, $2 lease, $3 error, $4 HTTP status or NULL, $5 delay ms, $6 max age ms. → dead (bool).
inline constexpr pg::statement mark_failed{
    "notify_mark_failed",
    "WITH f AS (UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $3, "
    "  last_status = $4::int, claimed_until = NULL, "
    "  due_at = least(now() + $5::bigint * interval '1 millisecond', "
    "    armed_at + $6::bigint * interval '1 millisecond'), "
    "  dead_at = CASE WHEN now() >= armed_at + $6::bigint * interval '1 millisecond' THEN now() END "
    "  WHERE id = $1::bigint AND claimed_until = $2::timestamptz AND delivered_at IS NULL "
    "  RETURNING id, event_id, client, application_id, payload, attempts, dead_at), "
    "dl AS (INSERT INTO dead_letters (topic, message_key, payload, headers, consumer_group, reason) "
    "  SELECT 'webhooks', application_id, payload::text, jsonb_build_object('message_id', event_id::text, "
    "    'event_type', 'webhook_delivery', 'client', client, 'delivery_id', id::text, "
    "    'attempts', attempts), 'notify', "
    "    'webhook not delivered within the max age after ' || attempts || ' attempts: ' || $3 "
    "  FROM f WHERE dead_at IS NOT NULL RETURNING id) "
    "SELECT (SELECT count(*) FROM dl) AS dead FROM f"};
struct failed_row {
    std::int64_t dead = 0;
    static constexpr auto columns = std::tuple{pg::col("dead", &failed_row::dead)};
};

// Gives a claimed row back untried (its receiver host had no free slot after all; stopping).
// $1 id, $2 lease.
inline constexpr pg::statement release{
    "notify_release",
    "UPDATE webhook_deliveries SET claimed_until = NULL WHERE id = $1::bigint "
    "AND claimed_until = $2::timestamptz"};

// Memory bus start-up: decided events published within the last $3 ms that group $1 never recorded
// (lost from the previous process's memory queue) are published again. $2 topic.
inline constexpr pg::statement requeue_unconsumed{
    "",
    "UPDATE outbox_events e SET published_at = NULL WHERE e.topic = $2 AND e.published_at IS NOT NULL "
    "AND e.created_at > now() - $3::bigint * interval '1 millisecond' AND NOT EXISTS (SELECT 1 FROM "
    "processed_messages p WHERE p.consumer_group = $1 AND p.message_id = e.message_id)"};

// Age in seconds of the oldest live delivery, 0 when none.
inline constexpr pg::statement oldest_live{
    "notify_oldest_live",
    "SELECT coalesce((SELECT floor(extract(epoch FROM now() - created_at))::bigint FROM webhook_deliveries "
    "WHERE delivered_at IS NULL AND dead_at IS NULL ORDER BY id LIMIT 1), 0) AS seconds"};
struct oldest_row {
    std::int64_t seconds = 0;
    static constexpr auto columns = std::tuple{pg::col("seconds", &oldest_row::seconds)};
};

}  // namespace prequal::notify::queries
