// Data lifecycle jobs: delete processed_messages older than the bus retention, archive published outbox
// events, and whatever jobs the modules add (the api module expires idempotency keys). Batched (short
// transactions, no long locks) and safe with several replicas running them (one advisory lock per job).
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
#include <string>
#include <vector>

namespace prequal::outbox {

struct retention_options {
    std::chrono::milliseconds interval{std::chrono::minutes{10}};  // between runs (one at start)
    std::chrono::milliseconds processed_messages_age{std::chrono::hours{24 * 7}};  // the bus retention
    std::chrono::milliseconds outbox_archive_age{std::chrono::hours{24}};  // published this long → archive
    std::size_t batch_size = 1000;                                         // rows per transaction
};

/// A job a module adds: each batch runs `batch_sql` ($1 age in ms, $2 batch size; it must affect at most $2
/// rows) in its own transaction under the advisory lock `lock_key` (a bigint as text, unique per job).
struct retention_job {
    std::string name;  // the `job` label of the metrics, and "retention_<name>" names the prepared statement
    std::string lock_key;
    std::string batch_sql;
    std::chrono::milliseconds age;
};

/// What one run of one job did.
struct retention_result {
    std::string job;        // processed_messages | outbox_archive | a module's job name
    std::int64_t rows = 0;  // rows deleted (or moved to the archive)
    bool skipped = false;   // another replica held the job's lock
};

class retention {
public:
    /// `owner` tells which aggregates are unfinished (their events are never archived); `owner_jobs` run
    /// after the platform's own jobs.
    retention(boost::asio::any_io_executor ex, pg::pool& pool, const aggregate_owner& owner,
              std::vector<retention_job> owner_jobs, retention_options options, core::logger log,
              core::metrics_registry& metrics);

    /// Runs every job at once, then every interval, until stop(). Never throws (errors are logged).
    boost::asio::awaitable<void> run();

    /// Stops after the batch in progress (idempotent).
    void stop();

    /// One run of every job; records retention_rows_total{job} and retention_duration_seconds{job}.
    boost::asio::awaitable<std::vector<retention_result>> run_once();

private:
    boost::asio::awaitable<retention_result> run_job(const retention_job& job);

    pg::pool& pool_;
    retention_options options_;
    std::vector<retention_job> jobs_;
    core::logger log_;
    core::metrics_registry& metrics_;
    boost::asio::steady_timer timer_;
    bool stopping_ = false;
};

}  // namespace prequal::outbox
