// The SQL by which modules write to the platform's outbox and inbox, spelled once. They are string-literal
// fragments (not SQL functions) so that a module embeds them in its own single statement at no extra cost:
// a PL/pgSQL call per event measured ~50 µs more per statement (docs/outbox-backlog.md).
#pragma once

/// Followed by `SELECT` or `VALUES` producing (message_id uuid, aggregate_key text, topic, event_type,
/// request_id, payload, traceparent, tracestate): enqueues events that commit with the statement's other
/// effects. The last two are the W3C trace context of the work writing the event (docs/tracing.md), best
/// written with PREQUAL_OUTBOX_TRACE; the publisher sends them as message headers.
#define PREQUAL_OUTBOX_INSERT                                                                        \
    "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, request_id, payload, " \
    "traceparent, tracestate) "

/// The trace columns of PREQUAL_OUTBOX_INSERT from two text parameters (SQL text, e.g.
/// PREQUAL_OUTBOX_TRACE("$14", "$15")): core::trace_context::traceparent() and its tracestate, each stored
/// as NULL when empty.
#define PREQUAL_OUTBOX_TRACE(TRACEPARENT, TRACESTATE) \
    "nullif(" TRACEPARENT ", ''), nullif(" TRACESTATE ", '')"

/// Records message MESSAGE_ID (a uuid expression) as processed by consumer group GROUP; returns one row when
/// it is new, none for a duplicate. Both arguments are SQL text, e.g. PREQUAL_INBOX_RECORD("$1", "$2").
#define PREQUAL_INBOX_RECORD(GROUP, MESSAGE_ID)                                                  \
    "INSERT INTO processed_messages (consumer_group, message_id) VALUES (" GROUP ", " MESSAGE_ID \
    "::uuid) ON CONFLICT DO NOTHING RETURNING 1"
