// Socket readiness racing a deadline timer with an Asio parallel group (no coroutine per wait).
#include "socket_wait.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace prequal::pg::detail {

namespace asio = boost::asio;
using asio::experimental::make_parallel_group;
using asio::experimental::wait_for_one;
using descriptor = asio::posix::stream_descriptor;

namespace {

// Releases (does not close) the descriptor when the wait ends, however it ends.
struct release_on_exit {
    descriptor& d;
    ~release_on_exit() { d.release(); }
};

}  // namespace

asio::awaitable<bool> wait_socket(asio::steady_timer& timer, int fd, wait_for what,
                                  std::chrono::steady_clock::time_point deadline) {
    descriptor sock(timer.get_executor(), fd);
    release_on_exit guard{sock};
    timer.expires_at(deadline);
    if (what == wait_for::read_or_write) {
        auto [order, e1, e2, e3] =
            co_await make_parallel_group(sock.async_wait(descriptor::wait_read, asio::deferred),
                                         sock.async_wait(descriptor::wait_write, asio::deferred),
                                         timer.async_wait(asio::deferred))
                .async_wait(wait_for_one(), asio::use_awaitable);
        co_return order[0] != 2;
    }
    const auto type = what == wait_for::read ? descriptor::wait_read : descriptor::wait_write;
    auto [order, e1, e2] =
        co_await make_parallel_group(sock.async_wait(type, asio::deferred), timer.async_wait(asio::deferred))
            .async_wait(wait_for_one(), asio::use_awaitable);
    co_return order[0] == 0;
}

}  // namespace prequal::pg::detail
