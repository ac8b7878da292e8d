// One non-blocking libpq connection driven by Asio: the socket is awaited, never blocked on.
// One operation at a time per connection (callers serialize; the pool hands a connection to one user).
#pragma once

#include <prequal/pg/result.hpp>
#include <prequal/pg/statement.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::pg {

struct notification {
    std::string channel;
    std::string payload;
};

class connection {
public:
    /// Connects with PQconnectStartParams/PQconnectPoll (conninfo: keyword string or URI, completed by
    /// with_tcp_liveness() in conninfo.hpp), then sets non-blocking mode. Throws pg::error(connect_failed |
    /// timeout).
    static boost::asio::awaitable<std::unique_ptr<connection>> connect(boost::asio::any_io_executor ex,
                                                                       std::string conninfo,
                                                                       std::chrono::milliseconds timeout);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Runs one statement with text parameters (prepared on first use when st.name is set).
    /// Throws pg::error: query_failed (with SQLSTATE) leaves the connection usable; timeout and
    /// connection_lost mark it broken.
    boost::asio::awaitable<result> execute(statement st, params args = {});

    /// Runs several statements in one round trip (libpq pipeline mode, one sync at the end), e.g.
    /// BEGIN; …; COMMIT. Returns one result per statement. On the first failing statement throws
    /// pg::error(query_failed) after draining the pipeline (the server aborted the rest); a transaction
    /// the pipeline itself opened is rolled back first, so the connection is idle again.
    boost::asio::awaitable<std::vector<result>> pipeline(std::vector<std::pair<statement, params>> steps);

    /// Simple-query protocol, possibly several statements, no parameters (migrations, LISTEN, SET).
    boost::asio::awaitable<void> execute_script(std::string_view sql);

    /// Waits for the next NOTIFY on a channel this connection LISTENs to, or until `timeout` (nullopt).
    boost::asio::awaitable<std::optional<notification>> wait_notification(std::chrono::milliseconds timeout);

    /// Deadline applied to every execute/pipeline/script call (default 30 s).
    void set_operation_timeout(std::chrono::milliseconds t) { op_timeout_ = t; }

    /// True once the connection failed or timed out; the pool then discards it.
    bool broken() const { return broken_; }
    /// Non-blocking probe of an idle connection: reads whatever the server sent meanwhile and returns
    /// false (marking it broken) if the server closed it, e.g. after a restart. The pool calls it on acquire.
    bool check_alive();
    /// True when not idle at transaction level (an open/aborted transaction: the pool must not reuse as is).
    bool in_transaction() const;

    /// Server-side process id (for tests that terminate a backend).
    int backend_pid() const;

private:
    struct impl;
    explicit connection(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
    std::chrono::milliseconds op_timeout_{30000};
    bool broken_ = false;
    friend struct impl;
};

}  // namespace prequal::pg
