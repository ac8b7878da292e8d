// A non-blocking pipe registered with rd_kafka_queue_io_event_enable, waited on with an Asio descriptor.
#include "queue_waker.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace prequal::bus::kafka {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

queue_waker::queue_waker(const asio::any_io_executor& ex, rd_kafka_queue_t* queue)
    : queue_(queue), read_end_(ex), timer_(ex) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0)
        throw boost::system::system_error(errno, boost::system::system_category(), "kafka bus: pipe2");
    read_end_.assign(fds[0]);
    write_fd_ = fds[1];
    static constexpr char wake_byte = 1;
    rd_kafka_queue_io_event_enable(queue_, write_fd_, &wake_byte, 1);
}

queue_waker::~queue_waker() {
    rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
    ::close(write_fd_);
}

asio::awaitable<void> queue_waker::wait(std::chrono::milliseconds max_wait) {
    boost::system::error_code readable_ec;
    boost::system::error_code timer_ec;
    timer_.expires_after(max_wait);
    co_await (read_end_.async_wait(asio::posix::descriptor_base::wait_read,
                                   asio::redirect_error(asio::use_awaitable, readable_ec)) ||
              timer_.async_wait(asio::redirect_error(asio::use_awaitable, timer_ec)));
    // Emptied before the caller drains the queue: a byte written after this belongs to a later element.
    drain_pipe();
}

void queue_waker::cancel() { read_end_.cancel(); }

void queue_waker::drain_pipe() {
    std::array<char, 256> buf{};
    while (::read(read_end_.native_handle(), buf.data(), buf.size()) > 0) {
    }
}

}  // namespace prequal::bus::kafka
