// Re-drives stuck work: an application still PENDING long after submission (lost in-memory message,
// dead-lettered and later fixed, expired bus retention...) gets its outbox history delivered again.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

namespace prequal::outbox {

struct redriver_options {
    std::chrono::milliseconds stuck_after{std::chrono::minutes{5}};  // PENDING this long → re-driven
    std::chrono::milliseconds interval{std::chrono::seconds{30}};    // how often to look
    std::chrono::milliseconds max_pause{std::chrono::hours{6}};      // cap of the per-application backoff
    std::size_t batch_size = 500;                                    // applications per statement
};

class redriver {
public:
    /// `wake` is called after events were re-queued (the publisher's wake()).
    redriver(boost::asio::any_io_executor ex, pg::pool& pool, redriver_options options,
             std::function<void()> wake, core::logger log, core::metrics_registry& metrics);

    /// Looks for stuck applications every interval until stop(). Never throws (errors are logged).
    boost::asio::awaitable<void> run();

    /// Stops the loop (idempotent); a pass in progress completes first.
    void stop();

    /// One pass: marks the outbox events of every stuck application unpublished again (and live, if they
    /// were dead). Safe with several replicas (rows are locked with SKIP LOCKED). An application is
    /// re-driven again only after stuck_after × 2^(times re-driven), capped at max_pause. Returns the
    /// number of applications re-driven.
    boost::asio::awaitable<std::int64_t> redrive_once();

    /// Refreshes the backlog gauges (applications_pending, applications_oldest_pending_seconds,
    /// outbox_events_unpublished, outbox_events_dead, dead_letters_unreplayed). run() calls it every pass.
    boost::asio::awaitable<void> observe_backlog();

private:
    pg::pool& pool_;
    redriver_options options_;
    std::function<void()> wake_;
    core::logger log_;
    core::counter& redriven_;
    core::gauge& pending_;
    core::gauge& oldest_pending_;
    core::gauge& unpublished_;
    core::gauge& dead_events_;
    core::gauge& dead_letters_;
    boost::asio::steady_timer timer_;
    bool stopping_ = false;
};

}  // namespace prequal::outbox
