// SQL of the outbox publisher. Names double as prepared-statement names. Every statement here costs
// O(batch), whatever the backlog (docs/outbox-backlog.md has the measurements).
#pragma once

#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <string>
#include <tuple>

namespace prequal::outbox::queries {

// Claims at most $1 due events and leases them for $2 ms, walking outbox_events_due_idx in due order and
// stopping after the batch. One statement, committed before anything is published: the publisher holds no
// transaction, snapshot or row lock while it waits for the bus (docs/outbox-backlog.md, "Leased claims").
// An event is claimable when nobody holds an unexpired lease on it and its aggregate has no earlier
// unpublished event (one probe of outbox_events_aggregate_key_idx; a leased event is unpublished), so one
// aggregate's events are never reordered, even across replicas or after a failed attempt or an expired
// lease. The probe says `p.dead IS NOT TRUE`, not `NOT p.dead`, so that its condition does not match
// outbox_events_due_idx's predicate: with statistics taken while little was waiting, the planner otherwise
// walked that whole index once per candidate (O(batch x backlog) buffers, issue 9; test_publisher_backlog).
// Rows another claim is locking are skipped, not waited for. The lease is set through the locked
// rows' ctid (no second index probe); it changes only an unindexed column, so it can be a HOT update.
// Rows come back in due order: the publisher places its next scan from the first one.
#define PREQUAL_OUTBOX_CLAIM(FROM_CONDITION)                                                          \
    "WITH c AS (SELECT e.ctid FROM outbox_events e "                                                  \
    "WHERE e.published_at IS NULL AND NOT e.dead AND e.next_attempt_at <= now() " FROM_CONDITION      \
    "AND (e.claimed_until IS NULL OR e.claimed_until < now()) "                                       \
    "AND NOT EXISTS (SELECT 1 FROM outbox_events p WHERE p.aggregate_key = e.aggregate_key "          \
    "AND p.id < e.id AND p.published_at IS NULL AND p.dead IS NOT TRUE) "                             \
    "ORDER BY e.next_attempt_at, e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED), "                        \
    "u AS (UPDATE outbox_events e SET claimed_until = now() + $2::bigint * interval '1 millisecond' " \
    "WHERE e.ctid = ANY (ARRAY(SELECT ctid FROM c)) "                                                 \
    "RETURNING e.id, e.message_id, e.aggregate_key, e.topic, e.event_type, "                          \
    "e.request_id, e.payload, e.attempts, e.next_attempt_at, e.claimed_until, e.traceparent, "        \
    "e.tracestate) "                                                                                  \
    "SELECT id::text AS id, message_id::text AS message_id, aggregate_key, topic, event_type, "       \
    "coalesce(request_id, '') AS request_id, payload, attempts, next_attempt_at::text AS due, "       \
    "claimed_until::text AS lease, coalesce(traceparent, '') AS traceparent, "                        \
    "coalesce(tracestate, '') AS tracestate FROM u ORDER BY u.next_attempt_at, u.id"

// The sweep: from the head of the index. Its cost includes the dead index entries that published events
// leave until VACUUM removes them, so the publisher runs it only at start-up and every sweep interval. It
// is what finds the events of a replica that died holding leases, once they expire.
inline constexpr pg::statement claim_sweep{"outbox_claim_sweep", PREQUAL_OUTBOX_CLAIM("")};

// The usual claim: starts $4 ms before $3 (a timestamptz), so the dead entries before that are never walked.
inline constexpr pg::statement claim_from{
    "outbox_claim_from",
    PREQUAL_OUTBOX_CLAIM(
        "AND e.next_attempt_at >= $3::timestamptz - $4::bigint * interval '1 millisecond' ")};

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
    std::string due;          // next_attempt_at, as timestamptz text
    std::string lease;        // claimed_until, as timestamptz text: the claim's token
    std::string traceparent;  // the writer's W3C trace context, or empty (docs/tracing.md)
    std::string tracestate;
    static constexpr auto columns = std::tuple{pg::col("id", &claimed_row::id),
                                               pg::col("message_id", &claimed_row::message_id),
                                               pg::col("aggregate_key", &claimed_row::aggregate_key),
                                               pg::col("topic", &claimed_row::topic),
                                               pg::col("event_type", &claimed_row::event_type),
                                               pg::col("request_id", &claimed_row::request_id),
                                               pg::col("payload", &claimed_row::payload),
                                               pg::col("attempts", &claimed_row::attempts),
                                               pg::col("due", &claimed_row::due),
                                               pg::col("lease", &claimed_row::lease),
                                               pg::col("traceparent", &claimed_row::traceparent),
                                               pg::col("tracestate", &claimed_row::tracestate)};
};

// Whoever published an event marks it, lease or not (it was published); an event already marked is left
// alone (no new row version).
inline constexpr pg::statement mark_published{
    "outbox_mark_published",
    "UPDATE outbox_events SET published_at = now(), last_error = NULL, claimed_until = NULL "
    "WHERE id = ANY($1::bigint[]) AND published_at IS NULL"};

// $1 id, $2 error text, $3 backoff in milliseconds, $4 max attempts, $5 the claim's lease. Applies only while
// that claim still owns the event: after the lease expired and another replica claimed it, the failure of a
// stale attempt must not move that replica's event back or park it.
inline constexpr pg::statement mark_failed{
    "outbox_mark_failed",
    "UPDATE outbox_events SET attempts = attempts + 1, last_error = $2, "
    "next_attempt_at = now() + ($3::bigint * interval '1 millisecond'), dead = (attempts + 1 >= $4::int), "
    "claimed_until = NULL "
    "WHERE id = $1::bigint AND claimed_until = $5::timestamptz AND published_at IS NULL RETURNING dead"};

// Gives back claimed events that were not attempted ($1 ids, $2 the claim's lease): later events of an
// aggregate whose earlier one failed, or events the batch had no time left for. Due again at once.
inline constexpr pg::statement release{
    "outbox_release",
    "UPDATE outbox_events SET claimed_until = NULL "
    "WHERE id = ANY($1::bigint[]) AND claimed_until = $2::timestamptz AND published_at IS NULL"};

// At start-up with a non-durable bus (one process owns the database's outbox): the leases of the process
// that died are released at once rather than after they expire. Walks the unpublished events (due index).
inline constexpr pg::statement release_all{
    "",
    "UPDATE outbox_events SET claimed_until = NULL "
    "WHERE published_at IS NULL AND NOT dead AND claimed_until IS NOT NULL"};

struct failed_row {
    bool dead = false;
    static constexpr auto columns = std::tuple{pg::col("dead", &failed_row::dead)};
};

}  // namespace prequal::outbox::queries
