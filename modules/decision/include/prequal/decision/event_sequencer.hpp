// Gives committed decision events their place in the event feed (contract section 10), after they commit.
// Deciding transactions only insert their event (feed position NULL), so they never wait for each other; this
// loop, one at a time across replicas (an advisory transaction lock), numbers the committed-but-unnumbered
// events from the one position counter in a single transaction. Why that makes the feed gap-free and
// commit-ordered: docs/event-feed.md.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>

namespace prequal::decision {

struct sequencer_options {
    std::chrono::milliseconds interval{50};  // between passes when idle: the feed's added latency
    int batch = 1000;                        // events numbered per transaction
};

class event_sequencer {
public:
    event_sequencer(boost::asio::any_io_executor ex, pg::pool& pool, core::logger log,
                    core::metrics_registry& metrics, sequencer_options options = {});

    /// Passes until stop(). Never throws: a failed pass is logged and retried after the interval.
    boost::asio::awaitable<void> run();
    /// Stops after the pass in progress (idempotent).
    void stop();

    /// One pass: numbers committed events in batches until none is left. Returns how many it numbered; 0
    /// also when another replica holds the sequencer's lock. Throws pg::error on database failures.
    boost::asio::awaitable<std::int64_t> run_once();

private:
    pg::pool& pool_;
    core::logger log_;
    sequencer_options options_;
    core::counter& sequenced_;
    boost::asio::steady_timer timer_;
    bool stopping_ = false;
};

}  // namespace prequal::decision
