// Re-driver loop: one statement per pass finds stuck aggregates (the owner's SQL) and re-queues their events;
// the same pass refreshes the outbox's own backlog gauges. The owner's gauges have a loop of their own, with
// a shorter period: admission control decides on them.
#include <prequal/outbox/redriver.hpp>
#include <prequal/pg/row.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>
#include <string>

namespace prequal::outbox {

namespace asio = boost::asio;

namespace {

// The owner's stuck aggregates and their whole outbox history made live again, in one statement (one
// transaction): the owner's statement locks its rows SKIP LOCKED, so concurrent replicas split the work.
// $1 stuck-after (ms), $2 batch size, $3 max pause (ms).
std::string redrive_sql(const aggregate_owner& owner) {
    return "WITH stuck AS (" + owner.stuck +
           ") UPDATE outbox_events e SET published_at = NULL, dead = false, attempts = 0, next_attempt_at = "
           "now(),"
           " last_error = NULL FROM stuck WHERE e.aggregate_key = stuck.aggregate_key RETURNING "
           "e.aggregate_key";
}

// The platform's own backlog, each count capped ($1) so a pass stays bounded however large the backlog
// grows: live unpublished outbox events, dead outbox events, dead letters not replayed.
constexpr pg::statement backlog{
    "outbox_backlog",
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox_events WHERE published_at IS NULL AND NOT dead"
    "  LIMIT $1::bigint) s) AS unpublished,"
    " (SELECT count(*) FROM (SELECT 1 FROM outbox_events WHERE dead LIMIT $1::bigint) s) AS dead,"
    " (SELECT count(*) FROM (SELECT 1 FROM dead_letters WHERE replayed_at IS NULL LIMIT $1::bigint) s)"
    " AS dead_letters"};
struct backlog_row {
    std::int64_t unpublished = 0;
    std::int64_t dead = 0;
    std::int64_t dead_letters = 0;
    static constexpr auto columns =
        std::tuple{pg::col("unpublished", &backlog_row::unpublished), pg::col("dead", &backlog_row::dead),
                   pg::col("dead_letters", &backlog_row::dead_letters)};
};

// A row of the re-drive statement.
struct redriven_row {
    std::string aggregate_key;
    static constexpr auto columns = std::tuple{pg::col("aggregate_key", &redriven_row::aggregate_key)};
};

}  // namespace

redriver::redriver(asio::any_io_executor ex, pg::pool& pool, aggregate_owner owner, redriver_options options,
                   std::function<void()> wake, core::logger log, core::metrics_registry& metrics)
    : pool_{pool},
      owner_{std::move(owner)},
      redrive_sql_{redrive_sql(owner_)},
      options_{options},
      wake_{std::move(wake)},
      log_{std::move(log)},
      redriven_{metrics.get_counter("outbox_redriven_total",
                                    "Stuck PENDING applications whose outbox events were re-driven")},
      unpublished_{metrics.get_gauge(
          "outbox_events_unpublished",
          "Outbox events waiting to be published, dead ones excluded (refreshed each pass)")},
      dead_events_{
          metrics.get_gauge("outbox_events_dead", "Outbox events parked as dead (refreshed each pass)")},
      dead_letters_{metrics.get_gauge("dead_letters_unreplayed",
                                      "Dead letters recorded and not replayed (refreshed each pass)")},
      timer_{ex},
      backlog_timer_{ex} {}

void redriver::stop() {
    stopping_ = true;
    timer_.cancel();
    backlog_timer_.cancel();
}

asio::awaitable<std::int64_t> redriver::redrive_once() {
    const std::string stuck_ms = std::to_string(options_.stuck_after.count());
    const std::string batch = std::to_string(options_.batch_size);
    const std::string max_ms = std::to_string(options_.max_pause.count());
    auto args = pg::args(stuck_ms, batch, max_ms);
    auto r = co_await pool_.execute(pg::statement{"outbox_redrive_stuck", redrive_sql_}, std::move(args));
    std::set<std::string, std::less<>> aggregates;
    for (auto& row : r.rows_as<redriven_row>()) aggregates.insert(std::move(row.aggregate_key));
    const auto n = static_cast<std::int64_t>(aggregates.size());
    if (n > 0) {
        redriven_.inc(static_cast<std::uint64_t>(n));
        log_.warn("re-driving stuck applications",
                  {{"applications", std::to_string(n)}, {"events", std::to_string(r.rows())}});
        if (wake_) wake_();
    }
    co_return n;
}

asio::awaitable<void> redriver::observe_backlog() {
    if (owner_.observe_backlog) co_await owner_.observe_backlog(pool_);
    co_await observe_outbox_backlog();
}

asio::awaitable<void> redriver::observe_outbox_backlog() {
    auto args = pg::args(options_.count_cap);
    const auto r = (co_await pool_.execute(backlog, std::move(args))).one_as<backlog_row>();
    unpublished_.set(r.unpublished);
    dead_events_.set(r.dead);
    dead_letters_.set(r.dead_letters);
}

asio::awaitable<void> redriver::run() {
    using namespace asio::experimental::awaitable_operators;
    co_await (redrive_loop() && owner_backlog_loop());
}

asio::awaitable<void> redriver::redrive_loop() {
    while (!stopping_) {
        timer_.expires_after(options_.interval);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping_) break;
        try {
            co_await redrive_once();
            co_await observe_outbox_backlog();
        } catch (const std::exception& e) {
            log_.warn("re-driving stuck applications failed; will retry", {{"error", e.what()}});
        }
    }
}

// At once (a process starting behind a backlog must not admit work for a whole period), then every
// backlog_interval. A failure is logged once, not every period, and the gauges keep their last values.
asio::awaitable<void> redriver::owner_backlog_loop() {
    if (!owner_.observe_backlog) co_return;
    while (!stopping_) {
        try {
            co_await owner_.observe_backlog(pool_);
            if (backlog_failing_) log_.info("refreshing the backlog gauges works again");
            backlog_failing_ = false;
        } catch (const std::exception& e) {
            if (!backlog_failing_)
                log_.warn("refreshing the backlog gauges failed; they keep their last values until it works",
                          {{"error", e.what()}});
            backlog_failing_ = true;
        }
        if (stopping_) break;
        backlog_timer_.expires_after(options_.backlog_interval);
        boost::system::error_code ec;
        co_await backlog_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace prequal::outbox
