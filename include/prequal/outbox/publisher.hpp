// The outbox publisher: forwards committed outbox_events to the bus in id order per application, marks
// them published, retries failures with exponential backoff and parks an event as dead after
// `max_attempts`. Woken right after local commits (wake()) and by NOTIFY from other replicas; a slow poll
// is only the safety net.
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/outbox/aggregate_owner.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace prequal::outbox {

/// NOTIFY channel that transactions writing outbox events signal (payload unused).
inline constexpr const char* notify_channel = "prequal_outbox";

struct publisher_options {
    std::size_t batch_size = 256;
    int max_attempts = 10;                           // then the event is parked as dead
    std::chrono::milliseconds initial_backoff{200};  // doubles per failure
    std::chrono::milliseconds max_backoff{60000};
    std::chrono::milliseconds safety_poll{2000};  // poll even without a wake-up
    // Claims start this long before the first due event the previous claim saw, so an event whose transaction
    // committed late (its next_attempt_at is the transaction's start) is still found; one whose transaction
    // took longer waits for the next sweep. Larger = more dead index entries walked per claim.
    std::chrono::milliseconds scan_margin{2000};
    // A claim from the head of the queue this often: it walks every dead entry since the last VACUUM
    // (measured: ~135,000 buffers, 0.5 s, behind a 100,000 backlog), so it is rare.
    std::chrono::milliseconds sweep_interval{30000};
    // How long a claim owns its events. The claim commits before the events are published, so a replica that
    // dies mid-batch holds them until the lease expires (then the next sweep finds them). A batch starts no
    // publish after half of it has passed; a publish still in flight at expiry can at worst be repeated
    // (consumers are idempotent), never overtaken by a later event of its aggregate (docs/outbox-backlog.md).
    std::chrono::milliseconds claim_lease{30000};
    std::string listen_conninfo;  // empty → no LISTEN (single-process deployments)
};

class publisher {
public:
    publisher(boost::asio::any_io_executor ex, pg::pool& pool, bus::message_bus& bus,
              publisher_options options, core::logger log, core::metrics_registry& metrics);
    ~publisher();

    /// Publishes until stop(); the batch in progress completes first. Never throws (errors are logged and
    /// retried after a backoff).
    boost::asio::awaitable<void> run();

    /// Signals new committed events (cheap; coalesces).
    void wake();

    /// Stops after the current batch.
    void stop();

    /// Marks every published event of an unfinished aggregate (as `owner` defines it) unpublished, so it is
    /// delivered again. Used at start-up with a non-durable bus: whatever the dead process had queued in
    /// memory is re-driven; idempotent consumers make the repeats harmless. Returns the number of events
    /// re-queued. Also releases the leases the dead process held, so its claimed events go out at once.
    boost::asio::awaitable<std::int64_t> requeue_unfinished(const aggregate_owner& owner);

    /// Events the next batch claims (batch_size, or less after batches that timed out).
    std::size_t claim_size() const;

    /// One claim-publish-mark cycle; returns the number of events published (for tests and run()).
    boost::asio::awaitable<std::size_t> publish_batch();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace prequal::outbox
