// SQL of the outbox publisher. Names double as prepared-statement names.
#pragma once

#include <prequal/pg/statement.hpp>

namespace prequal::outbox::queries {

// Claims due events in id order, skipping rows another replica holds and any event whose application still
// has an earlier unpublished event (so one application's events are never reordered, even across
// replicas or after a failed attempt).
inline constexpr pg::statement claim_batch{
    "outbox_claim_batch",
    "SELECT e.id, e.message_id, e.application_id, e.topic, e.event_type, coalesce(e.request_id, ''), "
    "e.payload, e.attempts "
    "FROM outbox_events e "
    "WHERE e.published_at IS NULL AND NOT e.dead AND e.next_attempt_at <= now() "
    "AND NOT EXISTS (SELECT 1 FROM outbox_events p WHERE p.application_id = e.application_id "
    "AND p.id < e.id AND p.published_at IS NULL AND NOT p.dead) "
    "ORDER BY e.id LIMIT $1 FOR UPDATE SKIP LOCKED"};

inline constexpr pg::statement mark_published{
    "outbox_mark_published",
    "UPDATE outbox_events SET published_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])"};

// $1 id, $2 error text, $3 backoff in milliseconds, $4 max attempts.
inline constexpr pg::statement mark_failed{
    "outbox_mark_failed",
    "UPDATE outbox_events SET attempts = attempts + 1, last_error = $2, "
    "next_attempt_at = now() + ($3::bigint * interval '1 millisecond'), dead = (attempts + 1 >= $4::int) "
    "WHERE id = $1::bigint RETURNING dead"};

inline constexpr pg::statement requeue_unfinished{
    "outbox_requeue_unfinished",
    "UPDATE outbox_events e SET published_at = NULL "
    "FROM applications a WHERE a.id = e.application_id AND a.status = 'PENDING' "
    "AND e.published_at IS NOT NULL"};

}  // namespace prequal::outbox::queries
