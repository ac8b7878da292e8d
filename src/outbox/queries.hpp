// SQL of the outbox publisher. Names double as prepared-statement names. Every statement here costs
// O(batch), whatever the backlog (docs/outbox-backlog.md has the measurements).
#pragma once

#include <prequal/pg/statement.hpp>

namespace prequal::outbox::queries {

// Claims at most $1 due events, walking outbox_events_due_idx in due order and stopping after the batch.
// An event whose aggregate still has an earlier unpublished event is skipped (one probe of
// outbox_events_unpublished_key_idx), so one aggregate's events are never reordered, even across replicas or
// after a failed attempt. Rows another replica holds are skipped, not waited for.
inline constexpr pg::statement claim_batch{
    "outbox_claim_batch",
    "SELECT e.id, e.message_id, e.aggregate_key, e.topic, e.event_type, coalesce(e.request_id, ''), "
    "e.payload, e.attempts "
    "FROM outbox_events e "
    "WHERE e.published_at IS NULL AND NOT e.dead AND e.next_attempt_at <= now() "
    "AND NOT EXISTS (SELECT 1 FROM outbox_events p WHERE p.aggregate_key = e.aggregate_key "
    "AND p.id < e.id AND p.published_at IS NULL AND NOT p.dead) "
    "ORDER BY e.next_attempt_at, e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED"};

inline constexpr pg::statement mark_published{
    "outbox_mark_published",
    "UPDATE outbox_events SET published_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])"};

// $1 id, $2 error text, $3 backoff in milliseconds, $4 max attempts.
inline constexpr pg::statement mark_failed{
    "outbox_mark_failed",
    "UPDATE outbox_events SET attempts = attempts + 1, last_error = $2, "
    "next_attempt_at = now() + ($3::bigint * interval '1 millisecond'), dead = (attempts + 1 >= $4::int) "
    "WHERE id = $1::bigint RETURNING dead"};

}  // namespace prequal::outbox::queries
