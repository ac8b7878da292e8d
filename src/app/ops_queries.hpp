// SQL of src/app: the operator commands (dlq, outbox status) and the /ready probe. Timestamps are rendered as
// UTC ISO-8601 text.
#pragma once

#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace prequal::app::ops_queries {

#define PREQUAL_OPS_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

// A dead letter or a dead outbox event, as list/show print them: one row of dead_letters, dead_letter,
// dead_events and outbox_event. replayed_at is NULL until a dead letter is replayed.
struct record_row {
    std::string id, topic, key, message_id, consumer_group, reason, created_at;
    std::optional<std::string> replayed_at;
    std::string payload, headers;
    static constexpr auto columns = std::tuple{pg::col("id", &record_row::id),
                                               pg::col("topic", &record_row::topic),
                                               pg::col("message_key", &record_row::key),
                                               pg::col("message_id", &record_row::message_id),
                                               pg::col("consumer_group", &record_row::consumer_group),
                                               pg::col("reason", &record_row::reason),
                                               pg::col("created_at", &record_row::created_at),
                                               pg::col("replayed_at", &record_row::replayed_at),
                                               pg::col("payload", &record_row::payload),
                                               pg::col("headers", &record_row::headers)};
};

inline constexpr pg::statement dead_letters{
    "",
    "SELECT id, topic, message_key, coalesce(headers->>'message_id', '') AS message_id,"
    " coalesce(consumer_group, '') AS consumer_group, coalesce(reason, '') AS reason,"
    " " PREQUAL_OPS_TS("created_at") " AS created_at, " PREQUAL_OPS_TS("replayed_at") " AS replayed_at,"
    " payload, headers::text AS headers FROM dead_letters ORDER BY id"};

inline constexpr pg::statement dead_letter{
    "",
    "SELECT id, topic, message_key, coalesce(headers->>'message_id', '') AS message_id,"
    " coalesce(consumer_group, '') AS consumer_group, coalesce(reason, '') AS reason,"
    " " PREQUAL_OPS_TS("created_at") " AS created_at, " PREQUAL_OPS_TS("replayed_at") " AS replayed_at,"
    " payload, headers::text AS headers FROM dead_letters WHERE id = $1::bigint"};

// Dead outbox events as record_rows (group "outbox-publisher", reason = last error; replayed never set: a
// replayed event is simply no longer dead).
inline constexpr pg::statement dead_events{
    "",
    "SELECT id, topic, aggregate_key AS message_key, message_id::text AS message_id,"
    " 'outbox-publisher' AS consumer_group, coalesce(last_error, '') AS reason,"
    " " PREQUAL_OPS_TS("created_at") " AS created_at, NULL AS replayed_at, payload,"
    " json_build_object('event_type', event_type, 'attempts', attempts, 'request_id', request_id)::text"
    " AS headers FROM outbox_events WHERE dead ORDER BY id"};

inline constexpr pg::statement outbox_event{
    "",
    "SELECT id, topic, aggregate_key AS message_key, message_id::text AS message_id,"
    " 'outbox-publisher' AS consumer_group, coalesce(last_error, '') AS reason,"
    " " PREQUAL_OPS_TS("created_at") " AS created_at, NULL AS replayed_at, payload,"
    " json_build_object('event_type', event_type, 'attempts', attempts, 'request_id', request_id,"
    " 'published_at', published_at, 'dead', dead)::text AS headers FROM outbox_events WHERE id = $1::bigint"};

#undef PREQUAL_OPS_TS

// Replay of a dead letter, step 1 (inside BEGIN): lock it and read what to re-publish (no row: no such
// dead letter).
inline constexpr pg::statement lock_dead_letter{
    "",
    "SELECT topic, message_key, payload, coalesce(headers->>'message_id', '') AS message_id,"
    " coalesce(headers->>'event_type', '') AS event_type,"
    " coalesce(headers->>'request_id', '') AS request_id,"
    " coalesce(headers->>'traceparent', '') AS traceparent, coalesce(headers->>'tracestate', '') AS "
    "tracestate"
    " FROM dead_letters WHERE id = $1::bigint FOR UPDATE"};
struct locked_dead_letter_row {
    std::string topic, key, payload, message_id, event_type, request_id, traceparent, tracestate;
    static constexpr auto columns = std::tuple{pg::col("topic", &locked_dead_letter_row::topic),
                                               pg::col("message_key", &locked_dead_letter_row::key),
                                               pg::col("payload", &locked_dead_letter_row::payload),
                                               pg::col("message_id", &locked_dead_letter_row::message_id),
                                               pg::col("event_type", &locked_dead_letter_row::event_type),
                                               pg::col("request_id", &locked_dead_letter_row::request_id),
                                               pg::col("traceparent", &locked_dead_letter_row::traceparent),
                                               pg::col("tracestate", &locked_dead_letter_row::tracestate)};
};

// Step 2: re-publish through the outbox. The original event (same message id) is marked unpublished
// again, so consumers that did process it deduplicate; when it is gone (archived, or the message never
// came from this outbox) a new event with that message id is written. A message without a valid id gets
// one derived from the dead letter's id, so replaying it twice still yields one event.
// $1 message id or '', $2 dead letter id, $3 aggregate key (the message key), $4 topic, $5 event type, $6
// request id, $7 payload, $8 traceparent and $9 tracestate (the dead-lettered message's headers: a new
// event stays in the original trace).
inline constexpr pg::statement requeue_message{
    "",
    "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, request_id, payload,"
    " traceparent, tracestate)"
    " VALUES (coalesce(nullif($1, '')::uuid, md5('prequal-dlq-replay:' || $2)::uuid), $3, $4,"
    " coalesce(nullif($5, ''), 'replayed'), nullif($6, ''), $7, nullif($8, ''), nullif($9, ''))"
    " ON CONFLICT (message_id) DO UPDATE SET published_at = NULL, dead = false, attempts = 0,"
    " next_attempt_at = now(), last_error = NULL"
    " RETURNING id, message_id::text AS message_id"};
struct requeued_row {
    std::string id;          // the outbox event that will be delivered again
    std::string message_id;  // the message id it carries (the original one when it was valid)
    static constexpr auto columns =
        std::tuple{pg::col("id", &requeued_row::id), pg::col("message_id", &requeued_row::message_id)};
};

// Step 3: the dead letter is replayed; forget the recorder's de-duplication row so that, should the
// message die again, it is recorded again. $1 id, $2 topic, $3 message id (uuid text).
inline constexpr pg::statement mark_replayed{
    "", "UPDATE dead_letters SET replayed_at = now() WHERE id = $1::bigint"};
inline constexpr pg::statement forget_recorded{"",
                                               "DELETE FROM processed_messages WHERE consumer_group = "
                                               "'dead-letter-recorder:' || $1 AND message_id = $2::uuid"};

// Publishers of every replica LISTEN on this channel (outbox::notify_channel).
inline constexpr pg::statement notify_publishers{"", "SELECT pg_notify('prequal_outbox', '')"};

// The row of unreplayed_ids and revive_events.
struct id_row {
    std::string id;
    static constexpr auto columns = std::tuple{pg::col("id", &id_row::id)};
};

inline constexpr pg::statement unreplayed_ids{
    "", "SELECT id FROM dead_letters WHERE replayed_at IS NULL ORDER BY id"};

// Revives one dead outbox event ($1) or all of them ($1 NULL).
inline constexpr pg::statement revive_events{
    "",
    "UPDATE outbox_events SET dead = false, attempts = 0, next_attempt_at = now(), last_error = NULL"
    " WHERE dead AND ($1::bigint IS NULL OR id = $1::bigint) RETURNING id"};
inline constexpr pg::statement event_exists{"", "SELECT 1 FROM outbox_events WHERE id = $1::bigint"};

inline constexpr pg::statement outbox_status{
    "",
    "SELECT count(*) FILTER (WHERE published_at IS NULL AND NOT dead) AS pending,"
    " coalesce(round(extract(epoch FROM now() - min(created_at) FILTER (WHERE published_at IS NULL AND NOT "
    "dead))"
    "::numeric, 1), 0) AS oldest_pending_age,"
    " count(*) FILTER (WHERE dead) AS dead, count(*) FILTER (WHERE published_at IS NOT NULL) AS published,"
    " (SELECT count(*) FROM outbox_events_archive) AS archived,"
    " (SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL) AS unreplayed_dead_letters"
    " FROM outbox_events"};
struct outbox_status_row {
    std::int64_t pending = 0;
    std::string oldest_pending_age;  // seconds, one decimal, as the server rounded it
    std::int64_t dead = 0, published = 0, archived = 0, unreplayed_dead_letters = 0;
    static constexpr auto columns =
        std::tuple{pg::col("pending", &outbox_status_row::pending),
                   pg::col("oldest_pending_age", &outbox_status_row::oldest_pending_age),
                   pg::col("dead", &outbox_status_row::dead),
                   pg::col("published", &outbox_status_row::published),
                   pg::col("archived", &outbox_status_row::archived),
                   pg::col("unreplayed_dead_letters", &outbox_status_row::unreplayed_dead_letters)};
};

// GET /ready: does the database answer? Named (prepared once per connection): probes come every few seconds.
inline constexpr pg::statement ping{"ready_ping", "SELECT 1"};

}  // namespace prequal::app::ops_queries
