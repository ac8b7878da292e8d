// Waiting for readiness of a socket owned by libpq, bounded by a deadline (private to prequal::pg).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace prequal::pg::detail {

enum class wait_for { read, write, read_or_write };

/// Waits until `fd` is ready for `what` or `deadline` passes; returns false on the deadline. The fd is
/// registered with the reactor only for the duration of the wait and released, never closed, after:
/// libpq owns it and may close or replace it inside any libpq call, so no registration may outlive a wait.
boost::asio::awaitable<bool> wait_socket(boost::asio::steady_timer& timer, int fd, wait_for what,
                                         std::chrono::steady_clock::time_point deadline);

}  // namespace prequal::pg::detail
