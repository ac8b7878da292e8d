// A bounded pool of pg::connection. acquire() waits (asynchronously) for a free slot; a broken
// connection or one returned inside a transaction is discarded and replaced lazily on demand.
#pragma once

#include <prequal/pg/circuit_breaker.hpp>
#include <prequal/pg/connection.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace prequal::pg {

struct pool_options {
    std::string conninfo;
    std::size_t size = 8;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds operation_timeout{
        10000};  // per statement/pipeline, then the connection is dropped
    std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free slot; then pg::error(timeout)
    circuit_breaker_options circuit;                  // fail fast while the server is unreachable
};

namespace detail {
struct pool_state;
}

/// RAII lease: returns the connection to the pool on destruction. Shares the pool's state, so a lease
/// may outlive its pool (the connection is then closed on return).
class pooled_connection {
public:
    pooled_connection() = default;
    pooled_connection(std::shared_ptr<detail::pool_state> owner, std::unique_ptr<connection> c);
    pooled_connection(pooled_connection&&) noexcept;
    pooled_connection& operator=(pooled_connection&&) noexcept;
    ~pooled_connection();

    connection& operator*() const { return *conn_; }
    connection* operator->() const { return conn_.get(); }
    explicit operator bool() const { return conn_ != nullptr; }

private:
    std::shared_ptr<detail::pool_state> owner_;
    std::unique_ptr<connection> conn_;
};

/// Not thread-safe: a pool and its leases belong to one single-threaded io_context (or one strand).
class pool {
public:
    pool(boost::asio::any_io_executor ex, pool_options options);
    ~pool();

    /// A connection, connecting a new one if a slot is free and none idle. Throws pg::error
    /// (connect_failed, timeout, pool_closed, circuit_open). While the circuit breaker is open this fails
    /// at once without touching the network, except for the one half-open probe per cool-down.
    boost::asio::awaitable<pooled_connection> acquire();

    /// acquire() + execute() for single statements.
    boost::asio::awaitable<result> execute(statement st, params args = {});

    /// Closes idle connections and makes further acquire() fail; leased ones close on return.
    void close();

    std::size_t size() const;  // open connections (idle + leased)
    std::size_t idle() const;

    /// The circuit breaker's state (closed while the database answers).
    circuit_state circuit() const;
    /// `l` is called on every circuit state change, on the pool's thread (metrics, logs).
    void on_circuit_change(std::function<void(circuit_state)> l);
    /// Connection attempts made so far (each touches the network; tests check fast-fail with it).
    std::uint64_t connect_attempts() const;
    const pool_options& options() const { return options_; }

private:
    pool_options options_;
    std::shared_ptr<detail::pool_state> state_;
};

}  // namespace prequal::pg
