// The feed's sequencer: try the advisory lock, number a batch, commit; repeat while batches are full.
#include <prequal/decision/event_sequencer.hpp>
#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <tuple>

namespace prequal::decision {

namespace asio = boost::asio;

namespace {

// Lock id: 0x7072657175616c00 ("prequal\0") + 10 (the feed's retention job has + 9).
constexpr pg::statement try_lock{"decision_sequencer_lock",
                                 "SELECT pg_try_advisory_xact_lock(8102650217567972362) AS locked"};
struct locked_row {
    bool locked = false;
    static constexpr auto columns = std::tuple{pg::col("locked", &locked_row::locked)};
};
// Never queue behind (or make the writers of the position row queue behind) a long lock.
constexpr pg::statement short_lock_timeout{"", "SET LOCAL lock_timeout = '2s'"};

// Numbers up to $1 committed, unnumbered events in id order, taking the positions after the counter's. Only
// the lock holder runs it, so nothing else writes these rows or the counter meanwhile. Returns the count.
constexpr pg::statement number_batch{
    "decision_sequence_batch",
    "WITH batch AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM decision_events "
    "  WHERE seq IS NULL ORDER BY id LIMIT $1::int), "
    "pos AS (UPDATE decision_event_position SET last_seq = last_seq + (SELECT count(*) FROM batch) "
    "  RETURNING last_seq - (SELECT count(*) FROM batch) AS base), "
    "numbered AS (UPDATE decision_events e SET seq = pos.base + batch.n FROM batch, pos "
    "  WHERE e.id = batch.id RETURNING 1) "
    "SELECT count(*) AS numbered FROM numbered"};
struct numbered_row {
    std::int64_t numbered = 0;
    static constexpr auto columns = std::tuple{pg::col("numbered", &numbered_row::numbered)};
};

}  // namespace

event_sequencer::event_sequencer(asio::any_io_executor ex, pg::pool& pool, core::logger log,
                                 core::metrics_registry& metrics, sequencer_options options)
    : pool_{pool},
      log_{std::move(log)},
      options_{options},
      sequenced_{metrics.get_counter("event_feed_sequenced_total",
                                     "Decision events given their place in the event feed")},
      timer_{ex} {}

void event_sequencer::stop() {
    stopping_ = true;
    timer_.cancel();
}

asio::awaitable<std::int64_t> event_sequencer::run_once() {
    std::int64_t total = 0;
    while (!stopping_) {
        auto conn = co_await pool_.acquire();
        pg::steps lock{{pg::begin, {}}, {short_lock_timeout, {}}, {try_lock, {}}};
        auto locked = co_await conn->pipeline(std::move(lock));
        if (!locked[2].one_as<locked_row>().locked) {
            co_await conn->execute(pg::rollback);  // another replica is sequencing
            break;
        }
        pg::steps work{{number_batch, pg::args(options_.batch)}, {pg::commit, {}}};
        auto done = co_await conn->pipeline(std::move(work));
        const std::int64_t n = done[0].one_as<numbered_row>().numbered;
        total += n;
        sequenced_.inc(static_cast<std::uint64_t>(n));
        if (n < options_.batch) break;
        // Let other work on this io_context run between batches.
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    }
    co_return total;
}

asio::awaitable<void> event_sequencer::run() {
    while (!stopping_) {
        try {
            co_await run_once();
        } catch (const std::exception& e) {
            log_.warn("event feed sequencing failed; will retry", {{"error", e.what()}});
        }
        if (stopping_) break;
        timer_.expires_after(options_.interval);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace prequal::decision
