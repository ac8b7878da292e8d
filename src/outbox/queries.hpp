// SQL of the outbox publisher. Names double as prepared-statement names. Every statement here costs
// O(batch), whatever the backlog (docs/outbox-backlog.md has the measurements).
#pragma once

#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <string>
#include <tuple>

namespace prequal::outbox::queries {

// Claims at most $1 due events, walking outbox_events_due_idx in due order and stopping after the batch.
// An event whose aggregate still has an earlier unpublished event is skipped (one probe of
// outbox_events_aggregate_key_idx), so one aggregate's events are never reordered, even across replicas or
// after a failed attempt. Rows another replica holds are skipped, not waited for. The publisher places its
// next scan from next_attempt_at of the first row (docs/outbox-backlog.md).
#define PREQUAL_OUTBOX_CLAIM(FROM_CONDITION)                                                              \
    "SELECT e.id::text AS id, e.message_id::text AS message_id, e.aggregate_key, e.topic, e.event_type, " \
    "coalesce(e.request_id, '') AS request_id, e.payload, e.attempts, e.next_attempt_at::text AS due "    \
    "FROM outbox_events e "                                                                               \
    "WHERE e.published_at IS NULL AND NOT e.dead AND e.next_attempt_at <= now() " FROM_CONDITION          \
    "AND NOT EXISTS (SELECT 1 FROM outbox_events p WHERE p.aggregate_key = e.aggregate_key "              \
    "AND p.id < e.id AND p.published_at IS NULL AND NOT p.dead) "                                         \
    "ORDER BY e.next_attempt_at, e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED"

// The sweep: from the head of the index. Its cost includes the dead index entries that published events
// leave until VACUUM removes them, so the publisher runs it only at start-up and every sweep interval.
inline constexpr pg::statement claim_sweep{"outbox_claim_sweep", PREQUAL_OUTBOX_CLAIM("")};

// The usual claim: starts $3 ms before $2 (a timestamptz), so the dead entries before that are never walked.
inline constexpr pg::statement claim_from{
    "outbox_claim_from",
    PREQUAL_OUTBOX_CLAIM(
        "AND e.next_attempt_at >= $2::timestamptz - $3::bigint * interval '1 millisecond' ")};

#undef PREQUAL_OUTBOX_CLAIM

// The claim transaction's now() (same round trip): where the next claim starts when this one found nothing.
inline constexpr pg::statement transaction_now{"outbox_transaction_now", "SELECT now()::text AS now"};
struct now_row {
    std::string now;
    static constexpr auto columns = std::tuple{pg::col("now", &now_row::now)};
};

/// A row of both claims.
struct claimed_row {
    std::string id;
    std::string message_id;
    std::string aggregate_key;
    std::string topic;
    std::string event_type;
    std::string request_id;
    std::string payload;
    std::int64_t attempts = 0;
    std::string due;  // next_attempt_at, as timestamptz text
    static constexpr auto columns = std::tuple{pg::col("id", &claimed_row::id),
                                               pg::col("message_id", &claimed_row::message_id),
                                               pg::col("aggregate_key", &claimed_row::aggregate_key),
                                               pg::col("topic", &claimed_row::topic),
                                               pg::col("event_type", &claimed_row::event_type),
                                               pg::col("request_id", &claimed_row::request_id),
                                               pg::col("payload", &claimed_row::payload),
                                               pg::col("attempts", &claimed_row::attempts),
                                               pg::col("due", &claimed_row::due)};
};

inline constexpr pg::statement mark_published{
    "outbox_mark_published",
    "UPDATE outbox_events SET published_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])"};

// $1 id, $2 error text, $3 backoff in milliseconds, $4 max attempts.
inline constexpr pg::statement mark_failed{
    "outbox_mark_failed",
    "UPDATE outbox_events SET attempts = attempts + 1, last_error = $2, "
    "next_attempt_at = now() + ($3::bigint * interval '1 millisecond'), dead = (attempts + 1 >= $4::int) "
    "WHERE id = $1::bigint RETURNING dead"};
struct failed_row {
    bool dead = false;
    static constexpr auto columns = std::tuple{pg::col("dead", &failed_row::dead)};
};

}  // namespace prequal::outbox::queries
