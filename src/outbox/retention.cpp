// Retention jobs. Each batch is its own transaction: take the job's advisory lock (try, never wait),
// delete or move at most batch_size rows, commit. Another replica holding the lock means it is running
// the job right now, so this one skips it until the next interval.
#include <prequal/outbox/retention.hpp>
#include <prequal/pg/row.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace prequal::outbox {

namespace asio = boost::asio;

namespace {

// The time condition is repeated outside the sub-select: a row changed concurrently is re-checked there.
constexpr std::string_view delete_processed =
    "DELETE FROM processed_messages WHERE ctid IN (SELECT ctid FROM processed_messages"
    " WHERE processed_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2::int)"
    " AND processed_at < now() - $1::bigint * interval '1 millisecond'";

// Never moves an unpublished event, nor any event of an unfinished aggregate (the re-driver replays that
// history; the owner says what unfinished means). Rows the publisher or a replay holds are skipped and
// rechecked.
std::string archive_outbox(const aggregate_owner& owner) {
    return "WITH moved AS (DELETE FROM outbox_events WHERE id IN (SELECT e.id FROM outbox_events e"
           "  WHERE e.published_at IS NOT NULL AND e.published_at < now() - $1::bigint * interval '1 "
           "millisecond'"
           "  AND NOT (" +
           with_key(owner.is_unfinished, "e.aggregate_key") +
           ")"
           "  ORDER BY e.published_at LIMIT $2::int FOR UPDATE SKIP LOCKED)"
           " AND published_at IS NOT NULL"
           " RETURNING id, message_id, aggregate_key, topic, event_type, request_id, payload, created_at,"
           " published_at, attempts, last_error, traceparent, tracestate)"
           " INSERT INTO outbox_events_archive (id, message_id, aggregate_key, topic, event_type, request_id,"
           " payload, created_at, published_at, attempts, last_error, traceparent, tracestate)"
           " SELECT id, message_id, aggregate_key, topic, event_type, request_id, payload, created_at,"
           " published_at, attempts, last_error, traceparent, tracestate FROM moved";
}

constexpr pg::statement try_lock{"", "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked"};
struct locked_row {
    bool locked = false;
    static constexpr auto columns = std::tuple{pg::col("locked", &locked_row::locked)};
};
// A batch must never queue behind (or make others queue behind) a long lock.
constexpr pg::statement short_lock_timeout{"", "SET LOCAL lock_timeout = '2s'"};

// Lock ids: 0x7072657175616c00 ("prequal\0") + job number.
constexpr std::string_view processed_lock = "8102650217567972353";
constexpr std::string_view archive_lock = "8102650217567972354";

}  // namespace

retention::retention(asio::any_io_executor ex, pg::pool& pool, const aggregate_owner& owner,
                     std::vector<retention_job> owner_jobs, retention_options options, core::logger log,
                     core::metrics_registry& metrics)
    : pool_{pool}, options_{options}, log_{std::move(log)}, metrics_{metrics}, timer_{ex} {
    jobs_.push_back({"processed_messages", std::string{processed_lock}, std::string{delete_processed},
                     options_.processed_messages_age});
    jobs_.push_back(
        {"outbox_archive", std::string{archive_lock}, archive_outbox(owner), options_.outbox_archive_age});
    for (auto& j : owner_jobs) jobs_.push_back(std::move(j));
    for (const auto& j :
         jobs_) {  // register the series up front so /metrics shows zeros before the first run
        metrics_.get_counter("retention_rows_total", "Rows deleted or archived by a retention job",
                             {{"job", j.name}});
        metrics_.get_histogram("retention_duration_seconds", "Duration of one run of a retention job",
                               {{"job", j.name}});
    }
}

void retention::stop() {
    stopping_ = true;
    timer_.cancel();
}

asio::awaitable<retention_result> retention::run_job(const retention_job& job) {
    retention_result out{job.name, 0, false};
    const std::string age = std::to_string(job.age.count());
    const std::string prepared_name = "retention_" + job.name;
    const pg::statement batch_sql{prepared_name, job.batch_sql};
    const std::string batch = std::to_string(options_.batch_size);
    const auto batch_size = static_cast<std::int64_t>(options_.batch_size);
    while (!stopping_) {
        auto conn = co_await pool_.acquire();
        pg::steps lock{
            {pg::begin, {}}, {short_lock_timeout, {}}, {try_lock, pg::args(std::string_view{job.lock_key})}};
        auto locked = co_await conn->pipeline(std::move(lock));
        if (!locked[2].one_as<locked_row>().locked) {
            co_await conn->execute(pg::rollback);
            out.skipped = out.rows == 0;
            break;
        }
        pg::steps work{{batch_sql, pg::args(age, batch)}, {pg::commit, {}}};
        auto done = co_await conn->pipeline(std::move(work));
        const std::int64_t n = done[0].affected_rows();
        out.rows += n;
        if (n < batch_size) break;
        // Let other work on this io_context run between batches.
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    }
    co_return out;
}

asio::awaitable<std::vector<retention_result>> retention::run_once() {
    std::vector<retention_result> results;
    for (const auto& j : jobs_) {
        if (stopping_) break;
        const auto started = std::chrono::steady_clock::now();
        auto r = co_await run_job(j);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        metrics_.get_counter("retention_rows_total", "", {{"job", j.name}})
            .inc(static_cast<std::uint64_t>(r.rows));
        if (!r.skipped)
            metrics_.get_histogram("retention_duration_seconds", "", {{"job", j.name}}).observe(seconds);
        if (r.rows > 0)
            log_.info(
                "retention job done",
                {{"job", j.name}, {"rows", std::to_string(r.rows)}, {"seconds", std::to_string(seconds)}});
        results.push_back(std::move(r));
    }
    co_return results;
}

asio::awaitable<void> retention::run() {
    while (!stopping_) {
        try {
            co_await run_once();
        } catch (const std::exception& e) {
            log_.warn("retention run failed; will retry at the next interval", {{"error", e.what()}});
        }
        if (stopping_) break;
        timer_.expires_after(options_.interval);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace prequal::outbox
