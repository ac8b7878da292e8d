// access_trail: a vector of entries appended by reads, a flusher coroutine woken by a timer or by the
// threshold, and one INSERT … SELECT FROM unnest(arrays) per flush, so the database sees a handful of
// statements however many reads there were.
#include <prequal/access/access_trail.hpp>
#include <prequal/pg/error.hpp>
#include <prequal/pg/statement.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <utility>
#include <vector>

namespace prequal::access {

namespace asio = boost::asio;

namespace {

// $1 clients, $2 application ids, $3 kinds, $4 request ids (text[]/uuid[] literals), $5 read times (bigint[]
// literal, Unix microseconds): every waiting entry in one statement.
constexpr pg::statement insert_entries{
    "access_trail_insert",
    "INSERT INTO access_trail (read_at, client, application_id, kind, request_id) "
    "SELECT timestamptz 'epoch' + u.us * interval '1 microsecond', u.client, u.application_id, u.kind, "
    "u.request_id "
    "FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bigint[]) "
    "AS u(client, application_id, kind, request_id, us)"};

// One element of an array literal: always quoted, so commas, braces, spaces and NULL-looking words stay
// text; backslash and double quote escaped.
void append_element(std::string& literal, std::string_view value) {
    literal += literal.size() == 1 ? "\"" : ",\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') literal += '\\';
        literal += c;
    }
    literal += '"';
}

// A statement that can never succeed with these entries (bad data): retrying would block the trail for
// good, so the batch is dropped instead. Anything else (outage, timeout, lock, missing table during an
// upgrade) is retried.
bool is_poison(const std::exception_ptr& failure) {
    try {
        throw;
    } catch (const pg::error& e) {
        return e.sqlstate().starts_with("22") || e.sqlstate().starts_with("23");
    } catch (...) {
        return false;
    }
}

}  // namespace

const std::string_view access_trail_retention_sql =
    "DELETE FROM access_trail WHERE ctid IN (SELECT ctid FROM access_trail"
    " WHERE read_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2::int)"
    " AND read_at < now() - $1::bigint * interval '1 millisecond'";

struct access_trail::impl {
    impl(asio::any_io_executor ex, pg::pool& p, access_trail_options o, core::logger l,
         core::metrics_registry& m)
        : pool{p},
          options{o},
          statement_timeout_sql{
              "SET LOCAL statement_timeout = " +
              std::to_string(std::max<std::int64_t>(p.options().operation_timeout.count() / 2, 1))},
          log{std::move(l)},
          timer{ex},
          dropped{m.get_counter("access_trail_dropped_total",
                                "Access-trail entries dropped: buffer full, a batch the database refused, "
                                "or recorded after the last flush")},
          flushes{m.get_counter("access_trail_flushes_total",
                                "Access-trail flushes that wrote entries (one INSERT each)")},
          written{m.get_counter("access_trail_entries_written_total", "Access-trail entries written")},
          failures{m.get_counter("access_trail_flush_failures_total",
                                 "Access-trail flushes that failed (entries kept for the next one)")} {}

    pg::pool& pool;
    access_trail_options options;
    std::string statement_timeout_sql;  // half the pool's operation timeout, in ms
    core::logger log;
    asio::steady_timer timer;
    std::vector<access_entry> waiting;
    std::size_t in_flight = 0;  // entries taken by a flush that has not finished
    bool flushing = false;
    bool stopping = false;
    bool failing = false;  // the last flush failed: wait out the interval before the next
    bool closed = false;   // the last flush has started: later entries cannot be written
    core::counter& dropped;
    core::counter& flushes;
    core::counter& written;
    core::counter& failures;
};

access_trail::access_trail(asio::any_io_executor ex, pg::pool& pool, access_trail_options options,
                           core::logger log, core::metrics_registry& metrics)
    : impl_{std::make_shared<impl>(ex, pool, options, std::move(log), metrics)} {
    metrics.add_callback_gauge("access_trail_buffered",
                               "Access-trail entries held in memory (waiting or being written)", {},
                               [s = std::weak_ptr<impl>(impl_)] {
                                   auto p = s.lock();
                                   return p ? static_cast<std::int64_t>(p->waiting.size() + p->in_flight) : 0;
                               });
}

access_trail::~access_trail() = default;

std::size_t access_trail::buffered() const { return impl_->waiting.size() + impl_->in_flight; }

void access_trail::record(std::string_view client, std::string_view application_id, std::string_view kind,
                          std::string_view request_id) {
    auto& s = *impl_;
    if (s.closed || s.waiting.size() + s.in_flight >= s.options.capacity) {
        s.dropped.inc();
        return;
    }
    s.waiting.push_back({std::string{client}, std::string{application_id}, std::string{kind},
                         std::string{request_id}, std::chrono::system_clock::now()});
    if (s.waiting.size() >= s.options.flush_threshold && !s.flushing && !s.failing) s.timer.cancel();
}

asio::awaitable<std::size_t> access_trail::flush() {
    auto self = impl_;  // the trail may be destroyed while the statement runs; its state must stay alive
    auto& s = *self;
    if (s.waiting.empty() || s.flushing) co_return 0;  // one flush at a time: run() is the only caller
    std::vector<access_entry> batch;
    batch.swap(s.waiting);
    s.in_flight = batch.size();
    std::string clients = "{", ids = "{", kinds = "{", request_ids = "{", times = "{";
    for (const auto& e : batch) {
        append_element(clients, e.client);
        append_element(ids, e.application_id);
        append_element(kinds, e.kind);
        append_element(request_ids, e.request_id);
        times += times.size() == 1 ? "" : ",";
        times += std::to_string(
            std::chrono::duration_cast<std::chrono::microseconds>(e.at.time_since_epoch()).count());
    }
    for (auto* literal : {&clients, &ids, &kinds, &request_ids, &times}) *literal += '}';
    s.flushing = true;
    try {
        // In a transaction whose statement_timeout ends it before the pool's operation timeout: a flush that
        // fails has then surely written nothing (a connection dropped at the client's deadline could still
        // commit on the server), so retrying it cannot write an entry twice. One round trip.
        auto conn = co_await s.pool.acquire();
        pg::steps steps;
        steps.emplace_back(pg::begin, pg::params{});
        steps.emplace_back(pg::statement{"", s.statement_timeout_sql}, pg::params{});
        steps.emplace_back(insert_entries, pg::args(clients, ids, kinds, request_ids, times));
        steps.emplace_back(pg::commit, pg::params{});
        co_await conn->pipeline(std::move(steps));
    } catch (...) {
        s.flushing = false;
        s.in_flight = 0;
        s.failures.inc();
        if (is_poison(std::current_exception())) {
            s.dropped.inc(batch.size());
            throw;
        }
        // Back in front of what arrived meanwhile, in read order. Reads counted the batch against the
        // capacity while it was in flight, so this never exceeds it.
        batch.insert(batch.end(), std::make_move_iterator(s.waiting.begin()),
                     std::make_move_iterator(s.waiting.end()));
        s.waiting = std::move(batch);
        throw;
    }
    s.flushing = false;
    s.in_flight = 0;
    s.flushes.inc();
    s.written.inc(batch.size());
    co_return batch.size();
}

void access_trail::stop() {
    impl_->stopping = true;
    impl_->timer.cancel();
}

// One flush, its failure logged once per outage. Returns whether it failed.
asio::awaitable<bool> access_trail::flush_logged(bool was_failing, const char* failed_message) {
    auto self = impl_;
    try {
        co_await flush();
        if (was_failing) self->log.info("access trail written again");
        co_return false;
    } catch (const std::exception& e) {
        if (!was_failing)
            self->log.warn(failed_message, {{"error", e.what()}, {"buffered", std::to_string(buffered())}});
        co_return true;
    }
}

asio::awaitable<void> access_trail::run() {
    auto self = impl_;
    auto& s = *self;
    while (!s.stopping) {
        // Every interval, or at once when the threshold is reached; after a failure the interval is waited
        // out whatever arrives, so a failing database is asked at most once an interval.
        const auto due = std::chrono::steady_clock::now() + s.options.flush_interval;
        while (!s.stopping && std::chrono::steady_clock::now() < due &&
               (s.failing || s.waiting.size() < s.options.flush_threshold)) {
            s.timer.expires_at(due);
            boost::system::error_code ec;
            co_await s.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (s.stopping) break;
        s.failing = co_await flush_logged(
            s.failing, "writing the access trail failed; keeping the entries for the next flush");
    }
    // Shutdown: the HTTP server has drained, so this is the last of the trail.
    s.closed = true;
    co_await flush_logged(false, "writing the access trail at shutdown failed; its entries are lost");
    if (!s.waiting.empty()) {
        s.dropped.inc(s.waiting.size());
        s.waiting.clear();
    }
}

}  // namespace prequal::access
