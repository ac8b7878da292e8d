// Errors of the PostgreSQL layer. Infrastructure failures are exceptions (pg::error); the SQLSTATE lets
// callers tell a unique violation or serialization failure from a lost connection.
#pragma once

#include <boost/system/system_error.hpp>

#include <string>

namespace prequal::pg {

enum class errc {
    connect_failed = 1,  // could not establish a connection
    connection_lost,     // socket closed / libpq reported a broken connection
    timeout,             // the operation's deadline passed (the connection is then discarded)
    query_failed,        // the server returned an error result (see sqlstate())
    pool_closed,         // acquire() after close()
    protocol,            // unexpected libpq state
    circuit_open,        // the pool's circuit breaker is open: failed fast without touching the network
    bad_row,             // a result does not fit its row struct (missing column, NULL, unparsable value)
};

const boost::system::error_category& category();
inline boost::system::error_code make_error_code(errc e) { return {static_cast<int>(e), category()}; }

/// A failed database operation. what() is safe to log (it never includes parameter values);
/// server_message() is the server's text, which may echo data and must not reach clients.
class error : public boost::system::system_error {
public:
    error(errc code, const std::string& context, std::string sqlstate = {}, std::string server_message = {});
    const std::string& sqlstate() const { return sqlstate_; }
    const std::string& server_message() const { return server_message_; }
    bool is_unique_violation() const { return sqlstate_ == "23505"; }
    bool is_serialization_failure() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }
    /// True when the connection (not the statement) failed: retrying on a fresh connection may succeed.
    bool is_connection_error() const;
    /// True when the database is unreachable or going away (connection errors, circuit open, pool closed):
    /// callers answer 503 / retry later rather than treating it as a bug or a bad message.
    bool is_unavailable() const;

private:
    std::string sqlstate_;
    std::string server_message_;
};

}  // namespace prequal::pg

template <>
struct boost::system::is_error_code_enum<prequal::pg::errc> : std::true_type {};
