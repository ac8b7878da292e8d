-- 012: the W3C trace context of the work that wrote each outbox event (docs/tracing.md). The publisher sends
-- it as the message's traceparent/tracestate headers, so a consumer continues the producer's trace.
-- Nullable: events written before this migration, or by a writer without a context, have none (the
-- consumer then starts a new trace). Forward-only; never edit once applied.
ALTER TABLE outbox_events ADD COLUMN traceparent text, ADD COLUMN tracestate text;
ALTER TABLE outbox_events_archive ADD COLUMN traceparent text, ADD COLUMN tracestate text;
-- The decision event's trace context as the notify consumer continued it: each webhook POST sends it as
-- `traceparent`, so a receiver that traces can continue the same trace.
ALTER TABLE webhook_deliveries ADD COLUMN traceparent text;
