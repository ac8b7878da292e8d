// SQL of the operator commands (dlq, outbox status). Timestamps are rendered as UTC ISO-8601 text.
#pragma once

#include <prequal/pg/statement.hpp>

namespace prequal::app::ops_queries {

#define PREQUAL_OPS_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

// Columns shared by list/show of dead letters: id, topic, key, message id, consumer group, reason,
// created, replayed, payload, headers.
inline constexpr pg::statement dead_letters{
    "",
    "SELECT id, topic, message_key, coalesce(headers->>'message_id', ''), coalesce(consumer_group, ''),"
    " coalesce(reason, ''), " PREQUAL_OPS_TS("created_at") ", " PREQUAL_OPS_TS("replayed_at") ", payload,"
    " headers::text FROM dead_letters ORDER BY id"};

inline constexpr pg::statement dead_letter{
    "",
    "SELECT id, topic, message_key, coalesce(headers->>'message_id', ''), coalesce(consumer_group, ''),"
    " coalesce(reason, ''), " PREQUAL_OPS_TS("created_at") ", " PREQUAL_OPS_TS("replayed_at") ", payload,"
    " headers::text FROM dead_letters WHERE id = $1::bigint"};

// Dead outbox events in the same column order (group "outbox-publisher", reason = last error; replayed
// never set: a replayed event is simply no longer dead).
inline constexpr pg::statement dead_events{
    "",
    "SELECT id, topic, application_id::text, message_id::text, 'outbox-publisher', coalesce(last_error, ''),"
    " " PREQUAL_OPS_TS("created_at") ", NULL, payload, json_build_object('event_type', event_type, 'attempts',"
    " attempts, 'request_id', request_id)::text FROM outbox_events WHERE dead ORDER BY id"};

inline constexpr pg::statement outbox_event{
    "",
    "SELECT id, topic, application_id::text, message_id::text, 'outbox-publisher', coalesce(last_error, ''),"
    " " PREQUAL_OPS_TS("created_at") ", NULL, payload, json_build_object('event_type', event_type, 'attempts',"
    " attempts, 'request_id', request_id, 'published_at', published_at, 'dead', dead)::text"
    " FROM outbox_events WHERE id = $1::bigint"};

#undef PREQUAL_OPS_TS

// Replay of a dead letter, step 1 (inside BEGIN): lock it and read what to re-publish.
inline constexpr pg::statement lock_dead_letter{
    "",
    "SELECT topic, message_key, payload, coalesce(headers->>'message_id', ''),"
    " coalesce(headers->>'event_type', ''), coalesce(headers->>'request_id', '')"
    " FROM dead_letters WHERE id = $1::bigint FOR UPDATE"};

// Step 2: re-publish through the outbox. The original event (same message id) is marked unpublished
// again, so consumers that did process it deduplicate; when it is gone (archived, or the message never
// came from this outbox) a new event with that message id is written. A message without a valid id gets
// one derived from the dead letter's id, so replaying it twice still yields one event.
// $1 message id or '', $2 dead letter id, $3 application id, $4 topic, $5 event type, $6 request id, $7 payload.
inline constexpr pg::statement requeue_message{
    "",
    "INSERT INTO outbox_events (message_id, application_id, topic, event_type, request_id, payload)"
    " VALUES (coalesce(nullif($1, '')::uuid, md5('prequal-dlq-replay:' || $2)::uuid), $3::uuid, $4,"
    " coalesce(nullif($5, ''), 'replayed'), nullif($6, ''), $7)"
    " ON CONFLICT (message_id) DO UPDATE SET published_at = NULL, dead = false, attempts = 0,"
    " next_attempt_at = now(), last_error = NULL"
    " RETURNING id, message_id::text"};

// Step 3: the dead letter is replayed; forget the recorder's de-duplication row so that, should the
// message die again, it is recorded again. $1 id, $2 topic, $3 message id (uuid text).
inline constexpr pg::statement mark_replayed{"", "UPDATE dead_letters SET replayed_at = now() WHERE id = $1::bigint"};
inline constexpr pg::statement forget_recorded{
    "",
    "DELETE FROM processed_messages WHERE consumer_group = 'dead-letter-recorder:' || $1 AND message_id = $2::uuid"};

// Publishers of every replica LISTEN on this channel (outbox::notify_channel).
inline constexpr pg::statement notify_publishers{"", "SELECT pg_notify('prequal_outbox', '')"};

inline constexpr pg::statement unreplayed_ids{"", "SELECT id FROM dead_letters WHERE replayed_at IS NULL ORDER BY id"};

// Revives one dead outbox event ($1) or all of them ($1 NULL).
inline constexpr pg::statement revive_events{
    "",
    "UPDATE outbox_events SET dead = false, attempts = 0, next_attempt_at = now(), last_error = NULL"
    " WHERE dead AND ($1::bigint IS NULL OR id = $1::bigint) RETURNING id"};
inline constexpr pg::statement event_exists{"", "SELECT 1 FROM outbox_events WHERE id = $1::bigint"};

inline constexpr pg::statement outbox_status{
    "",
    "SELECT count(*) FILTER (WHERE published_at IS NULL AND NOT dead),"
    " coalesce(round(extract(epoch FROM now() - min(created_at) FILTER (WHERE published_at IS NULL AND NOT dead))"
    "::numeric, 1), 0),"
    " count(*) FILTER (WHERE dead), count(*) FILTER (WHERE published_at IS NOT NULL),"
    " (SELECT count(*) FROM outbox_events_archive),"
    " (SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL)"
    " FROM outbox_events"};

}  // namespace prequal::app::ops_queries
