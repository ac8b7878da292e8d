// The bus's one idempotent librdkafka producer. publish → rd_kafka_producev (never blocks) → the delivery
// report, served by a zero-timeout poll on the bus strand, wakes the awaiting coroutine.
#pragma once

#include "queue_waker.hpp"
#include "rdkafka_support.hpp"

#include <prequal/bus/kafka_bus.hpp>
#include <prequal/bus/message.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace prequal::bus::kafka {

class producer final : public client_events, public std::enable_shared_from_this<producer> {
public:
    /// Creates the librdkafka handle; throws std::invalid_argument for a rejected property. `strand` is the
    /// bus strand: every member below except the atomics' readers must be called on it.
    producer(boost::asio::any_io_executor strand, kafka_bus_options options, core::logger log,
             core::metrics_registry& metrics);
    ~producer() override;
    producer(const producer&) = delete;
    producer& operator=(const producer&) = delete;

    /// Spawns the poll loop. Call once, right after construction.
    void start();

    /// Produces `msg` and completes on its delivery report. Throws std::runtime_error on a failed delivery,
    /// system_error(shut_down) once shutdown() began.
    boost::asio::awaitable<void> produce(message msg);

    /// Refuses new messages, waits up to flush_timeout for outstanding deliveries, purges and fails the
    /// rest, then ends the poll loop. The handle itself is destroyed with this object.
    boost::asio::awaitable<void> shutdown();

    /// Any thread: a broker answered recently and no "all brokers down" came since.
    bool reachable() const { return reachable_ && !fatal_; }
    /// Any thread: publishes waiting for their delivery report.
    std::size_t in_flight() const { return in_flight_; }

    void on_log(int level, const char* facility, const char* text) override;
    void on_error(rd_kafka_resp_err_t err, const char* reason) override;
    void on_stats(std::string_view json) override;
    void on_delivery(const rd_kafka_message_t& record) override;

private:
    struct delivery {
        explicit delivery(const boost::asio::any_io_executor& ex);
        boost::asio::steady_timer signal;  // never expires: cancelled when the report arrives
        bool done = false;
        std::string error;  // empty on success
    };
    struct topic_counters {
        core::counter* published = nullptr;
        core::counter* failed = nullptr;
    };

    boost::asio::awaitable<void> poll_loop(std::shared_ptr<producer> self);
    /// Serves every queued event (delivery reports, errors, stats, logs); false when a budget ran out.
    bool serve_events();
    void fail_outstanding(const std::string& reason);
    topic_counters& counters_for(const std::string& topic);

    boost::asio::any_io_executor strand_;
    kafka_bus_options options_;
    core::logger log_;
    core::metrics_registry& metrics_;
    rd_kafka_t* rk_ = nullptr;
    queue_ptr main_queue_;
    std::unique_ptr<queue_waker> waker_;

    std::unordered_map<std::uint64_t, std::shared_ptr<delivery>> outstanding_;
    std::unordered_map<std::string, topic_counters> counters_;
    std::uint64_t next_id_ = 1;
    boost::asio::steady_timer space_;  // QUEUE_FULL waiters park here; cancelled on every delivery report
    std::size_t space_waiters_ = 0;
    bool closing_ = false;
    bool loop_done_ = false;
    boost::asio::steady_timer loop_finished_;
    std::chrono::steady_clock::time_point flush_deadline_{};

    std::atomic<bool> reachable_{false};
    std::atomic<bool> fatal_{false};
    std::atomic<std::size_t> in_flight_{0};
};

}  // namespace prequal::bus::kafka
