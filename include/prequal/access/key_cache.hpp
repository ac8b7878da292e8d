// Every replica's in-memory copy of the API keys, so that authenticating a request costs no database
// round trip. Kept fresh by a periodic reload and at once by NOTIFY from `prequal apikey` (revocation
// reaches every replica within the refresh interval even if a notification is lost); an id it does not
// hold is looked up in the database at a bounded rate, so garbage keys cannot load PostgreSQL. Records
// when each key was last used and writes that at most once per flush interval, in one statement.
#pragma once

#include <prequal/access/token_bucket.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace prequal::access {

struct key_cache_options {
    std::chrono::milliseconds refresh_interval{2000};  // full reload (revocation bound without NOTIFY)
    std::chrono::milliseconds flush_interval{60000};   // last_used_at written at most this often per key
    std::string listen_conninfo;                       // LISTEN for key changes; empty → refresh only
    double lookups_per_second = 10;                    // database look-ups of ids not in memory
    double lookup_burst = 20;
    std::chrono::milliseconds unknown_ttl{2000};  // an id found nowhere is not looked up again for this long
    std::size_t unknown_capacity = 10000;         // remembered unknown ids (then forgotten all at once)
};

/// One key as a replica holds it. Authentication data is replaced on reload; `bucket` (the key's rate
/// limit on this replica) survives reloads.
struct cached_key {
    std::string id;
    std::string client;
    std::string secret_sha256;  // lowercase hex
    std::string scopes;         // comma-separated
    std::optional<std::int64_t> rate_limit;
    std::optional<std::int64_t> burst;
    std::optional<std::chrono::system_clock::time_point> expires_at;
    bool revoked = false;
    std::optional<token_bucket> bucket;  // owned by whoever enforces the limits (access::gate)
    std::optional<std::chrono::system_clock::time_point> used;  // last use not yet written
};

/// Not thread-safe, like the pool it uses: one single-threaded io_context.
class key_cache {
public:
    key_cache(boost::asio::any_io_executor ex, pg::pool& pool, key_cache_options options, core::logger log,
              core::metrics_registry& metrics);
    ~key_cache();

    /// Loads every key (start-up). Throws pg::error when the database fails.
    boost::asio::awaitable<void> load();

    /// Reloads every refresh interval (at once on NOTIFY) and flushes last use, until stop(); then flushes
    /// a last time. Never throws (failures are logged; the keys in memory stay in force meanwhile).
    boost::asio::awaitable<void> run();
    void stop();

    /// The key `id` (a well-formed id): from memory, else from the database within the look-up budget.
    /// Null when unknown or over the budget. Throws pg::error when a look-up fails.
    boost::asio::awaitable<std::shared_ptr<cached_key>> find(std::string id);

    /// Records that `key` was used at `when` (written at the next flush).
    static void touch(cached_key& key, std::chrono::system_clock::time_point when) { key.used = when; }

    /// Writes the pending last-use times in one statement. Throws pg::error (the times are kept for the next
    /// flush).
    boost::asio::awaitable<void> flush();

    std::size_t size() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace prequal::access
