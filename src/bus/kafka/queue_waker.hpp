// The bridge from a librdkafka queue to Asio: librdkafka writes a byte into a pipe when the queue turns
// non-empty, and a coroutine waits for the pipe to become readable instead of blocking in a poll.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <librdkafka/rdkafka.h>

#include <chrono>

namespace prequal::bus::kafka {

class queue_waker {
public:
    /// Enables I/O events on `queue`, which must be the final destination of any queue forwarding.
    queue_waker(const boost::asio::any_io_executor& ex, rd_kafka_queue_t* queue);
    /// Disables the events before closing the pipe, so librdkafka never writes to a closed descriptor.
    ~queue_waker();
    queue_waker(const queue_waker&) = delete;
    queue_waker& operator=(const queue_waker&) = delete;

    /// Completes when the queue got an element while it was empty, after `max_wait`, or on cancel(),
    /// whichever comes first; empties the pipe. Never throws for those reasons. One waiter at a time.
    /// Drain the queue completely (polls with timeout 0) after it returns: the wake-up comes only on the
    /// empty → non-empty transition.
    boost::asio::awaitable<void> wait(std::chrono::milliseconds max_wait);

    /// Ends a pending wait() at once (no effect when none is pending).
    void cancel();

private:
    void drain_pipe();

    rd_kafka_queue_t* queue_;
    int write_fd_ = -1;
    boost::asio::posix::stream_descriptor read_end_;
    boost::asio::steady_timer timer_;
};

}  // namespace prequal::bus::kafka
