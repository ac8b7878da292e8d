// Long polls of GET .../status?wait=S (contract section 7): the `wait` parameter, and the waiters woken when
// an application is decided. A waiter is a timer, not a thread and not a database connection: the handler
// reads, releases its connection, waits on the timer, and re-reads when woken or at its deadline.
#pragma once

#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace prequal::api::detail {

inline constexpr int min_wait_seconds = 1;
inline constexpr int max_wait_seconds = 30;

/// What the `wait` query parameter of a request target asks for.
struct wait_parameter {
    bool present = false;  // no `wait` at all: an ordinary read
    bool valid = true;     // present but not exactly one integer 1–30 (0, 31, abc, 1.5, empty, repeated)
    std::chrono::seconds wait{0};
};

/// Reads `wait` from the query string of `target` (percent-decoded; other parameters are ignored).
wait_parameter parse_wait(std::string_view target);

class long_poll_waiters;

/// One waiting request, registered under its application id from construction to destruction.
class long_poll_waiter {
public:
    long_poll_waiter(long_poll_waiters& owner, std::string id, const boost::asio::any_io_executor& ex);
    ~long_poll_waiter();
    long_poll_waiter(const long_poll_waiter&) = delete;
    long_poll_waiter& operator=(const long_poll_waiter&) = delete;

    /// Returns once woken (at once if woken since the last call) or at `deadline`, whichever comes first.
    boost::asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline);
    /// True once the process stops serving waits (SIGTERM): answer now.
    bool released() const;

private:
    friend class long_poll_waiters;
    void wake();

    long_poll_waiters& owner_;
    std::string id_;
    boost::asio::steady_timer timer_;
    bool woken_ = false;
};

/// Application id → its waiters, at most `capacity` in all. Not thread-safe: one single-threaded
/// io_context, like the pool.
class long_poll_waiters {
public:
    long_poll_waiters(std::size_t capacity, core::metrics_registry& metrics);

    /// Registers a waiter for `application_id`; null when `capacity` waiters are registered already or the
    /// waiters were released (the caller then answers at once with the current state).
    std::unique_ptr<long_poll_waiter> enlist(std::string application_id,
                                             const boost::asio::any_io_executor& ex);

    /// The application was decided (a NOTIFY): its waiters re-read.
    void wake(std::string_view application_id);
    /// Notifications may have been missed (the LISTEN connection (re)started): every waiter re-reads.
    void wake_all();
    /// Shutdown: every waiter answers now, and enlist() refuses from now on.
    void release();
    bool released() const { return released_; }

    std::size_t size() const { return count_; }

private:
    friend class long_poll_waiter;
    void remove(const long_poll_waiter& w);

    std::size_t capacity_;
    std::size_t count_ = 0;
    bool released_ = false;
    std::unordered_map<std::string, std::vector<long_poll_waiter*>> by_id_;
    core::gauge& gauge_;
    core::counter& woken_by_decision_;
    core::counter& woken_by_reconnect_;
    core::counter& woken_by_shutdown_;
    core::counter& over_capacity_;
};

}  // namespace prequal::api::detail
