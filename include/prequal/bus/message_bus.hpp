// The one MessageBus interface. Semantics shared by every implementation (memory, Kafka):
// per-key ordering; at-least-once delivery; a handler that throws gets the message redelivered with
// exponential backoff, and after `max_attempts` failures the message goes to `<topic>_dlq` (with the
// failure reason in header "dlq_reason") and is acknowledged. Handlers make effects exactly-once
// (processed_messages in PostgreSQL).
#pragma once

#include <prequal/bus/message.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace prequal::bus {

/// Completes normally → acknowledged. Throws → redelivery/backoff, then dead-letter.
using handler = std::function<boost::asio::awaitable<void>(const message&)>;

struct retry_policy {
    int max_attempts = 5;
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{5000};
};

class message_bus {
public:
    virtual ~message_bus() = default;

    /// Completes when the bus has durably accepted the message (memory: enqueued — waits while the
    /// queue is at capacity; Kafka: the broker's delivery report). Throws on failure.
    virtual boost::asio::awaitable<void> publish(message msg) = 0;

    /// Registers `h` as consumer group `group` on `topic`. Must be called before run(). Each group gets
    /// every message of the topic once (at least once); within a group, messages of one key are handled
    /// one at a time in publish order; different keys run concurrently up to the bus's concurrency.
    virtual void subscribe(std::string topic, std::string group, handler h) = 0;

    /// Runs the consumers until stop(); returns after in-flight handlers finished.
    virtual boost::asio::awaitable<void> run() = 0;

    /// Stops delivering new messages; in-flight handlers complete (run() then returns).
    virtual void stop() = 0;

    /// False for the in-memory bus: its queue dies with the process, so the outbox re-drives unfinished
    /// work at start-up (see docs/crash-safety.md).
    virtual bool durable() const = 0;

    /// True when the bus can accept publishes (for /ready).
    virtual bool healthy() const = 0;

    /// Messages accepted but not yet acknowledged by every group (for metrics/tests).
    virtual std::size_t pending() const = 0;
};

}  // namespace prequal::bus
