// Re-drives stuck work: an aggregate still unfinished long after its first event (lost in-memory message,
// dead-lettered and later fixed, expired bus retention...) gets its outbox history delivered again. What
// "unfinished" and "stuck" mean is the owning module's (outbox::aggregate_owner). It also refreshes the
// backlog gauges: the owner's on their own, shorter period (admission control reads them), the outbox's with
// each re-drive pass.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/outbox/aggregate_owner.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

namespace prequal::outbox {

struct redriver_options {
    std::chrono::milliseconds stuck_after{std::chrono::minutes{5}};  // unfinished this long → re-driven
    std::chrono::milliseconds interval{std::chrono::seconds{30}};    // how often to look
    std::chrono::milliseconds max_pause{std::chrono::hours{6}};      // cap of the per-aggregate backoff
    std::size_t batch_size = 500;                                    // aggregates per statement
    // How often the owner's backlog gauges are refreshed (the service makes it 1 s where the API runs).
    std::chrono::milliseconds backlog_interval{std::chrono::seconds{30}};
    std::int64_t count_cap = 1000000;  // backlog gauges count at most this many rows (bounded passes)
};

class redriver {
public:
    /// `wake` is called after events were re-queued (the publisher's wake()).
    redriver(boost::asio::any_io_executor ex, pg::pool& pool, aggregate_owner owner, redriver_options options,
             std::function<void()> wake, core::logger log, core::metrics_registry& metrics);

    /// Until stop(): looks for stuck aggregates (and refreshes the outbox's gauges) every interval, and
    /// refreshes the owner's gauges at once and then every backlog_interval. Never throws (errors are
    /// logged).
    boost::asio::awaitable<void> run();

    /// Stops the loop (idempotent); a pass in progress completes first.
    void stop();

    /// One pass: marks the outbox events of at most batch_size stuck aggregates unpublished again (and
    /// live, if they were dead). Safe with several replicas (the owner locks its rows SKIP LOCKED). An
    /// aggregate is re-driven again only after stuck_after × 2^(times re-driven), capped at max_pause.
    /// Returns the number of aggregates re-driven.
    boost::asio::awaitable<std::int64_t> redrive_once();

    /// Refreshes the owner's backlog gauges and the outbox's (outbox_events_unpublished, outbox_events_dead,
    /// dead_letters_unreplayed) once. run() refreshes each on its own period.
    boost::asio::awaitable<void> observe_backlog();

private:
    boost::asio::awaitable<void> redrive_loop();
    boost::asio::awaitable<void> owner_backlog_loop();
    boost::asio::awaitable<void> observe_outbox_backlog();

    pg::pool& pool_;
    aggregate_owner owner_;
    std::string redrive_sql_;  // outlives every execute (the statement views it)
    redriver_options options_;
    std::function<void()> wake_;
    core::logger log_;
    core::counter& redriven_;
    core::gauge& unpublished_;
    core::gauge& dead_events_;
    core::gauge& dead_letters_;
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer backlog_timer_;
    bool backlog_failing_ = false;  // the owner's refresh failed last time (logged once per outage)
    bool stopping_ = false;
};

}  // namespace prequal::outbox
