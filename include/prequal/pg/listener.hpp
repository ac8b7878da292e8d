// One dedicated LISTEN connection (outside the pool, so it never takes a slot from requests) that survives
// database restarts: it reconnects with backoff and tells its owner each time it (re)starts listening,
// because a NOTIFY sent while it was not connected is lost and the owner must catch up by other means.
#pragma once

#include <prequal/core/backoff.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/pg/connection.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prequal::pg {

struct listener_options {
    std::string conninfo;
    std::vector<std::string> channels;  // LISTENed on every connection (identifiers, quoted by the listener)
    std::chrono::milliseconds connect_timeout{5000};
    core::backoff reconnect{std::chrono::milliseconds{200}, std::chrono::milliseconds{10000},
                            core::jitter::equal};
    std::chrono::milliseconds stop_check{250};  // a quiet connection notices stop() within this
};

struct listener_handlers {
    std::function<void(const notification&)> on_notification;  // one call per NOTIFY received
    std::function<void()> on_listening;  // after every successful (re)connect + LISTEN; may be empty
};

/// Not thread-safe: belongs to one single-threaded io_context, and its handlers run on it. The listener
/// must outlive its run().
class listener {
public:
    listener(boost::asio::any_io_executor ex, listener_options options, listener_handlers handlers,
             core::logger log);
    ~listener();
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    /// Connects, LISTENs and delivers notifications until stop(); reconnects after any failure. Never
    /// throws (failures are logged: the first of a series as a warning, the rest at debug).
    boost::asio::awaitable<void> run();
    /// run() returns within options.stop_check. Idempotent.
    void stop();
    /// True while a connection is LISTENing.
    bool listening() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace prequal::pg
