// The access trail: who read which application, when, and through which route (contract section 8: reads
// write nothing). A read only appends to an in-memory buffer; a coroutine writes the buffer every flush
// interval, or as soon as it holds `flush_threshold` entries, in ONE multi-row INSERT into `access_trail`
// (migration 013). The buffer is bounded: beyond `capacity` entries a read is still answered but its entry
// is dropped and counted. A failed flush keeps its entries (within the bound) for the next attempt. What a
// crash loses: the entries not flushed yet, at most about one flush interval's worth (docs/pan-protection.md,
// "Access trail").
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace prequal::access {

struct access_trail_options {
    std::chrono::milliseconds flush_interval{1000};  // the most a crash loses, give or take one flush
    std::size_t flush_threshold = 500;               // a flush starts at once when this many wait
    std::size_t capacity = 10000;  // entries held (waiting + being written); more are dropped
};

/// One read of one application.
struct access_entry {
    std::string client;          // the API client that read it
    std::string application_id;  // a UUID (the caller checked it)
    std::string kind;            // the route: status, status_wait, decisions, events
    std::string request_id;      // correlates with the request's log lines
    std::chrono::system_clock::time_point at;
};

/// Not thread-safe, like the pool it writes through: one single-threaded io_context.
class access_trail {
public:
    access_trail(boost::asio::any_io_executor ex, pg::pool& pool, access_trail_options options,
                 core::logger log, core::metrics_registry& metrics);
    ~access_trail();
    access_trail(const access_trail&) = delete;
    access_trail& operator=(const access_trail&) = delete;

    /// Records a read now. Never blocks and never fails: over capacity the entry is dropped and counted
    /// (access_trail_dropped_total).
    void record(std::string_view client, std::string_view application_id, std::string_view kind,
                std::string_view request_id);

    /// Flushes every flush interval (at once when the threshold is reached) until stop(), then flushes
    /// once more (shutdown: call stop() after the HTTP server drained, before the pool closes). Never
    /// throws: a failed flush is logged, counted and retried at the next interval.
    boost::asio::awaitable<void> run();
    void stop();

    /// Writes every waiting entry in one INSERT; returns how many (0 when nothing waits or a flush is
    /// already running). Throws pg::error when the database fails: the entries are kept for the next flush
    /// (within the capacity), except a batch the database refuses for its data, which is dropped and counted.
    boost::asio::awaitable<std::size_t> flush();

    std::size_t buffered() const;  // entries waiting or being written

private:
    boost::asio::awaitable<bool> flush_logged(bool was_failing, const char* failed_message);

    struct impl;
    std::shared_ptr<impl> impl_;
};

/// The retention batch of the trail in the form outbox::retention_job takes ($1 age in ms, $2 batch size),
/// and the advisory lock key of that job: src/app adds it to the retention jobs
/// (--access-trail-retention-days).
extern const std::string_view access_trail_retention_sql;
inline constexpr std::string_view access_trail_retention_lock = "8102650217567972365";  // "prequal\0" + 13

}  // namespace prequal::access
