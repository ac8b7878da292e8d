// Re-driver loop: one UPDATE statement per pass finds stuck applications and re-queues their events; the
// same pass refreshes the backlog gauges that operators alert on.
#include <prequal/outbox/redriver.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>
#include <string>

namespace prequal::outbox {

namespace asio = boost::asio;

namespace {

// $1 stuck-after (ms), $2 batch size, $3 max pause (ms). "Stuck": PENDING, older than stuck-after, not
// re-driven within its backoff, and no live unpublished event (else the publisher is still on it). The
// application rows are locked SKIP LOCKED, so concurrent replicas split the work instead of repeating it.
constexpr pg::statement redrive_stuck{
    "outbox_redrive_stuck",
    "WITH stuck AS ("
    " SELECT a.id FROM applications a"
    " WHERE a.status = 'PENDING' AND a.created_at < now() - $1::bigint * interval '1 millisecond'"
    " AND (a.last_redriven_at IS NULL OR a.last_redriven_at < now() - "
    "  least($1::bigint * power(2, least(a.redrive_count, 30)), $3::bigint) * interval '1 millisecond')"
    " AND NOT EXISTS (SELECT 1 FROM outbox_events p WHERE p.application_id = a.id"
    "  AND p.published_at IS NULL AND NOT p.dead)"
    " ORDER BY a.created_at LIMIT $2::int FOR UPDATE OF a SKIP LOCKED),"
    " marked AS (UPDATE applications a SET last_redriven_at = now(), redrive_count = a.redrive_count + 1"
    "  FROM stuck WHERE a.id = stuck.id RETURNING a.id)"
    " UPDATE outbox_events e SET published_at = NULL, dead = false, attempts = 0, next_attempt_at = now(),"
    " last_error = NULL FROM marked WHERE e.application_id = marked.id RETURNING e.application_id"};

// The backlog, from the partial indexes: PENDING applications and the oldest one's age (s), live
// unpublished outbox events, dead outbox events, dead letters not replayed.
constexpr pg::statement backlog{
    "outbox_backlog",
    "SELECT (SELECT count(*) FROM applications WHERE status = 'PENDING'),"
    " (SELECT coalesce(floor(extract(epoch FROM now() - min(created_at))), 0)::bigint FROM applications"
    "  WHERE status = 'PENDING'),"
    " (SELECT count(*) FROM outbox_events WHERE published_at IS NULL AND NOT dead),"
    " (SELECT count(*) FROM outbox_events WHERE dead),"
    " (SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL)"};

}  // namespace

redriver::redriver(asio::any_io_executor ex, pg::pool& pool, redriver_options options, std::function<void()> wake,
                   core::logger log, core::metrics_registry& metrics)
    : pool_{pool},
      options_{options},
      wake_{std::move(wake)},
      log_{std::move(log)},
      redriven_{metrics.get_counter("outbox_redriven_total",
                                    "Stuck PENDING applications whose outbox events were re-driven")},
      pending_{metrics.get_gauge("applications_pending",
                                 "PENDING applications in the database (all replicas; refreshed each re-drive pass)")},
      oldest_pending_{metrics.get_gauge("applications_oldest_pending_seconds",
                                        "Age of the oldest PENDING application, 0 when none (refreshed each pass)")},
      unpublished_{metrics.get_gauge("outbox_events_unpublished",
                                     "Outbox events waiting to be published, dead ones excluded (refreshed each pass)")},
      dead_events_{metrics.get_gauge("outbox_events_dead", "Outbox events parked as dead (refreshed each pass)")},
      dead_letters_{metrics.get_gauge("dead_letters_unreplayed",
                                      "Dead letters recorded and not replayed (refreshed each pass)")},
      timer_{ex} {}

void redriver::stop() {
    stopping_ = true;
    timer_.cancel();
}

asio::awaitable<std::int64_t> redriver::redrive_once() {
    const std::string stuck_ms = std::to_string(options_.stuck_after.count());
    const std::string batch = std::to_string(options_.batch_size);
    const std::string max_ms = std::to_string(options_.max_pause.count());
    auto args = pg::args(stuck_ms, batch, max_ms);
    auto r = co_await pool_.execute(redrive_stuck, std::move(args));
    std::set<std::string, std::less<>> applications;
    for (int i = 0; i < r.rows(); ++i) applications.emplace(r.get(i, 0));
    const auto n = static_cast<std::int64_t>(applications.size());
    if (n > 0) {
        redriven_.inc(static_cast<std::uint64_t>(n));
        log_.warn("re-driving stuck applications",
                  {{"applications", std::to_string(n)}, {"events", std::to_string(r.rows())}});
        if (wake_) wake_();
    }
    co_return n;
}

asio::awaitable<void> redriver::observe_backlog() {
    auto r = co_await pool_.execute(backlog);
    pending_.set(r.get_int(0, 0));
    oldest_pending_.set(r.get_int(0, 1));
    unpublished_.set(r.get_int(0, 2));
    dead_events_.set(r.get_int(0, 3));
    dead_letters_.set(r.get_int(0, 4));
}

asio::awaitable<void> redriver::run() {
    while (!stopping_) {
        timer_.expires_after(options_.interval);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping_) break;
        try {
            co_await redrive_once();
            co_await observe_backlog();
        } catch (const std::exception& e) {
            log_.warn("re-driving stuck applications failed; will retry", {{"error", e.what()}});
        }
    }
}

}  // namespace prequal::outbox
