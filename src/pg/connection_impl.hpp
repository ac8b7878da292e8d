// connection::impl: the PGconn and the machinery shared by execute, pipeline and script (private).
#pragma once

#include "socket_wait.hpp"

#include <prequal/pg/connection.hpp>
#include <prequal/pg/error.hpp>

#include <boost/asio/steady_timer.hpp>
#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace prequal::pg {

using clock_type = std::chrono::steady_clock;

struct pgresult_deleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using pgresult_ptr = std::unique_ptr<PGresult, pgresult_deleter>;

/// The array of NUL-terminated C strings libpq wants, pointing into `args` (which must outlive it).
class param_buffer {
public:
    explicit param_buffer(const params& args);
    int size() const { return static_cast<int>(values_.size()); }
    const char* const* values() const { return values_.empty() ? nullptr : values_.data(); }

private:
    std::vector<const char*> values_;
};

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct connection::impl {
    impl(boost::asio::any_io_executor ex, PGconn* c) : timer(ex), conn(c) {}
    ~impl() { PQfinish(conn); }

    boost::asio::steady_timer timer;
    PGconn* conn;
    std::unordered_set<std::string, string_hash, std::equal_to<>> prepared;

    /// Throws unless the connection can start an operation (not broken, nothing left in flight).
    void ensure_usable(connection& self, std::string_view context);
    /// Marks the connection broken and throws `code` with libpq's error message.
    [[noreturn]] void fail(connection& self, errc code, std::string_view context);
    /// Waits for socket readiness; a passed deadline marks the connection broken and throws timeout.
    boost::asio::awaitable<void> wait(connection& self, detail::wait_for what,
                                      clock_type::time_point deadline, std::string_view context);
    /// Sends libpq's output buffer, reading input meanwhile so neither side stalls on a full buffer.
    boost::asio::awaitable<void> flush(connection& self, clock_type::time_point deadline,
                                       std::string_view context);
    /// The next PGresult once it can be had without blocking (null ends the current command).
    boost::asio::awaitable<pgresult_ptr> next_result(connection& self, clock_type::time_point deadline,
                                                     std::string_view context);
    /// After a sent non-pipelined command: flushes and reads results until null; returns the last one.
    boost::asio::awaitable<result> finish_command(connection& self, std::string_view context,
                                                  clock_type::time_point deadline);
    /// Runs `steps` in pipeline mode with one sync; prepares unknown named statements on the way.
    boost::asio::awaitable<std::vector<result>> run_pipeline(
        connection& self, const std::vector<std::pair<statement, params>>& steps,
        clock_type::time_point deadline);
    /// Throws connection_lost (marking broken) if libpq reports the connection bad.
    void check_connection(connection& self, std::string_view context,
                          const std::optional<error>& server_error);
};

/// The error for a failed result: query_failed with SQLSTATE and server text.
error query_error(const PGresult* r, std::string_view context);

}  // namespace prequal::pg
