// Outbox publisher loop. Single-threaded io_context assumed (the service runs one): wake()/stop() and the
// loop share state without locks.
#include "queries.hpp"

#include <prequal/bus/envelope.hpp>
#include <prequal/bus/message.hpp>
#include <prequal/core/backoff.hpp>
#include <prequal/outbox/publisher.hpp>
#include <prequal/pg/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace prequal::outbox {

namespace asio = boost::asio;

struct publisher::impl {
    impl(asio::any_io_executor ex, pg::pool& p, bus::message_bus& b, publisher_options o, core::logger l,
         core::metrics_registry& m)
        : executor{ex},
          pool{p},
          bus{b},
          options{std::move(o)},
          log{std::move(l)},
          timer{ex},
          listen_retry{ex},
          published{m.get_counter("outbox_events_published_total", "Outbox events forwarded to the bus")},
          failed{
              m.get_counter("outbox_publish_failures_total", "Failed attempts to publish an outbox event")},
          dead{m.get_counter("outbox_events_dead_total", "Outbox events parked after too many failures")},
          batch_seconds{m.get_histogram("outbox_batch_duration_seconds", "Duration of one outbox batch")} {}

    asio::any_io_executor executor;
    pg::pool& pool;
    bus::message_bus& bus;
    publisher_options options;
    core::logger log;
    asio::steady_timer timer;
    asio::steady_timer listen_retry;  // the LISTEN loop's reconnect pause; stop() cuts it short
    bool woken = false;
    bool stopping = false;
    core::counter& published;
    core::counter& failed;
    core::counter& dead;
    core::histogram& batch_seconds;

    // Events claimed per batch: options.batch_size, halved after a batch that timed out (a statement that
    // no longer fits the operation timeout must get cheaper, not be retried as is), doubled back after
    // each success.
    std::size_t claim_size = options.batch_size;
    // Where the next claim starts (a timestamptz as text; empty: sweep from the head), and when the next
    // sweep is due.
    std::string scan_from;
    std::chrono::steady_clock::time_point next_sweep{};

    void shrink_after(const pg::error& e) {
        const bool too_slow = e.code() == pg::errc::timeout || e.sqlstate() == "57014";  // 57014: canceled
        if (too_slow) claim_size = std::max<std::size_t>(1, claim_size / 2);
        log.warn("outbox batch failed",
                 {{"error", e.what()}, {"next_batch_size", std::to_string(claim_size)}});
    }

    std::chrono::milliseconds backoff_for(std::int64_t attempts) const {
        const core::backoff b{options.initial_backoff, options.max_backoff, core::jitter::none};
        return b.ceiling(static_cast<int>(std::min<std::int64_t>(attempts, 64)));
    }

    asio::awaitable<void> listen_loop(std::shared_ptr<impl> self);
};

publisher::publisher(asio::any_io_executor ex, pg::pool& pool, bus::message_bus& bus,
                     publisher_options options, core::logger log, core::metrics_registry& metrics)
    : impl_{std::make_shared<impl>(ex, pool, bus, std::move(options), std::move(log), metrics)} {}

publisher::~publisher() = default;

std::size_t publisher::claim_size() const { return impl_->claim_size; }

void publisher::wake() {
    impl_->woken = true;
    impl_->timer.cancel();
}

void publisher::stop() {
    impl_->stopping = true;
    impl_->timer.cancel();
    impl_->listen_retry.cancel();
}

asio::awaitable<std::int64_t> publisher::requeue_unfinished(const aggregate_owner& owner) {
    // Runs once at start-up, so the statement is composed here and not prepared.
    const std::string sql = "WITH u AS (" + owner.unfinished_keys +
                            ") UPDATE outbox_events e SET published_at = NULL FROM u"
                            " WHERE e.aggregate_key = u.aggregate_key AND e.published_at IS NOT NULL";
    auto r = co_await impl_->pool.execute(pg::statement{"", sql});
    co_await impl_->pool.execute(queries::release_all);
    co_return r.affected_rows();
}

namespace {

// The bus message of a claimed row.
bus::message message_of(const queries::claimed_row& row) {
    bus::message msg;
    msg.topic = row.topic;
    msg.key = row.aggregate_key;
    msg.payload = row.payload;
    msg.headers = bus::headers_for(row.message_id, row.event_type, row.request_id);
    // The writer's trace context, so that the consumer's work continues its trace (docs/tracing.md).
    if (!row.traceparent.empty()) msg.set_header(bus::traceparent_header, row.traceparent);
    if (!row.tracestate.empty()) msg.set_header(bus::tracestate_header, row.tracestate);
    return msg;
}

}  // namespace

asio::awaitable<std::size_t> publisher::publish_batch() {
    auto& s = *impl_;
    const auto started = std::chrono::steady_clock::now();
    const std::string limit = std::to_string(s.claim_size);
    const std::string lease_ms = std::to_string(s.options.claim_lease.count());
    const bool sweep = s.scan_from.empty() || std::chrono::steady_clock::now() >= s.next_sweep;
    const std::string margin = std::to_string(s.options.scan_margin.count());
    std::vector<queries::claimed_row> rows;
    {
        // The claim is its own short transaction: it commits (and the connection goes back to the pool)
        // before anything is published, so no snapshot or row lock is held while the bus is waited for.
        pg::steps claim;
        claim.push_back({pg::begin, {}});
        if (sweep)
            claim.push_back({queries::claim_sweep, pg::args(limit, lease_ms)});
        else
            claim.push_back({queries::claim_from, pg::args(limit, lease_ms, s.scan_from, margin)});
        claim.push_back({queries::transaction_now, {}});
        claim.push_back({pg::commit, {}});
        auto conn = co_await s.pool.acquire();
        auto results = co_await conn->pipeline(std::move(claim));
        rows = results[1].rows_as<queries::claimed_row>();
        // The next claim starts `scan_margin` before the first event this one returned (everything earlier
        // was looked at and is published, leased by another replica, or waiting for an earlier event of its
        // aggregate), or before this claim's now() when it found nothing. The margin covers transactions
        // that committed after this claim with an earlier next_attempt_at (their start time); the periodic
        // sweep covers the rest (expired leases of a replica that died, an aggregate's later event).
        if (sweep) s.next_sweep = std::chrono::steady_clock::now() + s.options.sweep_interval;
        s.scan_from = rows.empty() ? results[2].one_as<queries::now_row>().now : rows.front().due;
    }
    if (rows.empty()) co_return 0;
    // Every row of one claim carries the same lease (the claim's token). No publish starts after half of
    // it: a publish in flight when the lease expires could be repeated by the replica that claims next.
    const std::string& lease = rows.front().lease;
    const auto publish_deadline = started + s.options.claim_lease / 2;

    // One chain per application, in id order: chains are published concurrently (a Kafka publish waits
    // for the broker's ack, so one-at-a-time would cap throughput and stall everyone behind one slow
    // partition), while each chain stays sequential and stops at its first failure (per-application order).
    std::vector<std::vector<const queries::claimed_row*>> chains;
    std::unordered_map<std::string_view, std::size_t> chain_of;
    for (const auto& row : rows) {
        auto [it, fresh] = chain_of.try_emplace(row.aggregate_key, chains.size());
        if (fresh) chains.emplace_back();
        chains[it->second].push_back(&row);
    }

    std::vector<std::string> done_ids;
    std::vector<std::string> released_ids;  // claimed, not attempted: given back
    struct failure {
        std::string id;
        std::string error;
        std::int64_t attempts;
    };
    std::vector<failure> failures;
    std::size_t running = chains.size();
    asio::steady_timer all_done{s.executor, asio::steady_timer::time_point::max()};
    for (const auto& chain : chains) {
        asio::co_spawn(
            s.executor,
            [&s, &chain, &done_ids, &released_ids, &failures, publish_deadline]() -> asio::awaitable<void> {
                std::size_t i = 0;
                for (; i < chain.size(); ++i) {
                    const queries::claimed_row* row = chain[i];
                    if (i > 0 && std::chrono::steady_clock::now() >= publish_deadline) break;
                    std::string error;
                    try {
                        co_await s.bus.publish(message_of(*row));
                        done_ids.push_back(row->id);
                        continue;
                    } catch (const std::exception& e) {
                        error = e.what();
                    }
                    failures.push_back({row->id, std::move(error), row->attempts});
                    ++i;
                    break;  // later events of this application wait for the next attempt
                }
                for (; i < chain.size(); ++i) released_ids.push_back(chain[i]->id);
            },
            [&running, &all_done](std::exception_ptr) {
                if (--running == 0) all_done.cancel();
            });
    }
    if (running > 0) {
        boost::system::error_code ec;
        co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

    // One round trip (one implicit transaction) settles the batch.
    const auto id_array = [](const std::vector<std::string>& ids) {
        return "{" + fmt::format("{}", fmt::join(ids, ",")) + "}";
    };
    pg::steps steps;
    if (!done_ids.empty()) steps.push_back({queries::mark_published, {id_array(done_ids)}});
    for (const auto& f : failures)
        steps.push_back({queries::mark_failed, pg::args(f.id, f.error, s.backoff_for(f.attempts).count(),
                                                        s.options.max_attempts, lease)});
    if (!released_ids.empty()) steps.push_back({queries::release, pg::args(id_array(released_ids), lease)});
    std::vector<pg::result> marked;
    {
        auto conn = co_await s.pool.acquire();
        marked = co_await conn->pipeline(std::move(steps));
    }

    s.published.inc(done_ids.size());
    for (std::size_t i = 0; i < failures.size(); ++i) {
        s.failed.inc();
        const auto& r = marked[(done_ids.empty() ? 0 : 1) + i];
        const auto row = r.maybe_one_as<queries::failed_row>();
        const bool parked = row && row->dead;
        if (parked) {
            s.dead.inc();
            s.log.error("outbox event parked as dead after too many failures",
                        {{"outbox_id", failures[i].id}, {"error", failures[i].error}});
        } else {
            s.log.warn("outbox publish failed; will retry",
                       {{"outbox_id", failures[i].id}, {"error", failures[i].error}});
        }
    }
    s.batch_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return done_ids.size();
}

asio::awaitable<void> publisher::impl::listen_loop(std::shared_ptr<impl> self) {
    // A NOTIFY on the channel wakes us at once: `prequal dlq replay` and `outbox` revivals send one after
    // re-arming events (our own commits wake us in-process). On an error, reconnect with a growing pause (the
    // 2 s safety poll covers whatever is missed meanwhile); only the first failure of an outage is a
    // warning, so a database that is down for an hour does not write a warning every second.
    constexpr core::backoff reconnect{std::chrono::milliseconds{500}, std::chrono::milliseconds{30000},
                                      core::jitter::none};
    int failures = 0;
    while (!stopping) {
        try {
            auto conn = co_await pg::connection::connect(executor, options.listen_conninfo,
                                                         std::chrono::milliseconds{5000});
            co_await conn->execute_script(fmt::format("LISTEN {}", notify_channel));
            if (failures > 0)
                log.info("outbox LISTEN connection restored",
                         {{"failed_attempts", std::to_string(failures)}});
            failures = 0;
            while (!stopping) {
                auto n = co_await conn->wait_notification(std::chrono::milliseconds{1000});
                if (n) {
                    woken = true;
                    timer.cancel();
                }
            }
        } catch (const std::exception& e) {
            if (!stopping)
                log.log(failures == 0 ? core::log_level::warn : core::log_level::debug,
                        "outbox LISTEN connection failed; retrying",
                        {{"error", e.what()},
                         {"retry_in_ms", std::to_string(reconnect.ceiling(failures).count())}});
            ++failures;
        }
        if (stopping) break;
        listen_retry.expires_after(reconnect.ceiling(failures - 1));
        boost::system::error_code ec;
        co_await listen_retry.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> publisher::run() {
    auto self = impl_;
    auto& s = *self;
    if (!s.options.listen_conninfo.empty()) asio::co_spawn(s.executor, s.listen_loop(self), asio::detached);
    // After a failed batch: 100 ms, doubling per consecutive failure up to 5 s.
    constexpr core::backoff error_pause{std::chrono::milliseconds{100}, std::chrono::milliseconds{5000},
                                        core::jitter::none};
    int failed_batches = 0;
    while (!s.stopping) {
        s.woken = false;
        std::size_t n = 0;
        bool failed = false;
        bool full = false;
        try {
            n = co_await publish_batch();
            full = n >= s.claim_size;
            failed_batches = 0;
            s.claim_size = std::min(s.claim_size * 2, s.options.batch_size);
        } catch (const pg::error& e) {
            failed = true;
            s.shrink_after(e);
        } catch (const std::exception& e) {
            failed = true;
            s.log.warn("outbox batch failed", {{"error", e.what()}});
        }
        if (s.stopping) break;
        if (full || (s.woken && !failed)) continue;  // more work is likely waiting
        s.timer.expires_after(failed ? error_pause.ceiling(failed_batches++) : s.options.safety_poll);
        boost::system::error_code ec;
        co_await s.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace prequal::outbox
