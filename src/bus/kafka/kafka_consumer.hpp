// One librdkafka consumer for one subscribed (topic, group): a poll loop woken by queue I/O events, one
// worker coroutine per partition (sequential within it, partitions concurrent up to a limit), manual offset
// store + asynchronous commits, cooperative rebalancing, back-pressure by pausing partitions.
#pragma once

#include "../delivery_machine.hpp"
#include "../delivery_report.hpp"
#include "kafka_producer.hpp"
#include "queue_waker.hpp"
#include "rdkafka_support.hpp"

#include <prequal/bus/kafka_bus.hpp>
#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace prequal::bus::kafka {

class consumer final : public client_events, public std::enable_shared_from_this<consumer> {
public:
    /// Creates the handle (not yet subscribed); throws std::invalid_argument for a rejected property.
    /// `buffered` counts, bus-wide, the messages taken from Kafka and not yet finished. Everything below
    /// runs on `strand`, the bus strand.
    consumer(boost::asio::any_io_executor strand, kafka_bus_options options, std::string topic,
             std::string group, handler h, std::shared_ptr<producer> dead_letters, core::logger log,
             core::metrics_registry& metrics, std::atomic<std::size_t>& buffered);
    ~consumer() override;
    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;

    /// Subscribes and spawns the poll loop.
    void start();
    /// No new deliveries: drops queued messages, pauses fetching, ends backoff waits. In-flight handlers
    /// finish; then the loop commits and closes the consumer (see wait_closed()).
    void begin_stop();
    /// Completes once the consumer left its group (or was never started).
    boost::asio::awaitable<void> wait_closed();

    const std::string& topic() const { return topic_; }
    const std::string& group() const { return group_; }

    void on_log(int level, const char* facility, const char* text) override;
    void on_error(rd_kafka_resp_err_t err, const char* reason) override;
    void on_stats(std::string_view json) override;
    void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) override;
    void on_commit(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t* offsets) override;

private:
    struct queued_message {
        message msg;
        std::int64_t offset = 0;
    };
    struct partition_state {
        partition_state(const boost::asio::any_io_executor& ex, std::int32_t id);
        std::int32_t id;
        std::deque<queued_message> queue;  // fetched, not started
        bool assigned = false;
        std::uint64_t epoch =
            0;  // bumped on every assign and revoke: a worker's result for an older epoch is void
        bool paused = false;
        bool worker_running = false;
        boost::asio::steady_timer backoff;
        core::gauge* lag = nullptr;
    };

    // kafka_consumer.cpp: the poll loop, rebalances, offsets, close.
    boost::asio::awaitable<void> poll_loop(std::shared_ptr<consumer> self);
    bool serve_queue();
    void accept(const rd_kafka_message_t& record);
    partition_state& partition(std::int32_t id);
    void revoke(partition_state& p);
    void drop_queued(partition_state& p);
    void set_paused(partition_state& p, bool paused);
    void store_offset(const partition_state& p, std::int64_t next_offset);
    void schedule_commit();
    void commit_now();
    boost::asio::awaitable<void> close();

    // kafka_partition_worker.cpp: deliveries, retries, dead letters.
    boost::asio::awaitable<void> work(std::shared_ptr<consumer> self, partition_state* p);
    boost::asio::awaitable<bool> deliver(partition_state& p, queued_message& item, std::uint64_t epoch);
    boost::asio::awaitable<bool> dead_letter(partition_state& p, const queued_message& item,
                                             const std::string& reason, detail::delivery_machine& machine,
                                             std::uint64_t epoch);
    bool abandoned(const partition_state& p, std::uint64_t epoch) const {
        return stopping_ || p.epoch != epoch;
    }
    void finished_one();

    boost::asio::any_io_executor strand_;
    kafka_bus_options options_;
    std::string topic_;
    std::string group_;
    handler handler_;
    std::shared_ptr<producer> dead_letters_;
    core::logger log_;
    core::metrics_registry& metrics_;
    std::atomic<std::size_t>& buffered_;

    rd_kafka_t* rk_ = nullptr;
    queue_ptr consumer_queue_;
    std::unique_ptr<queue_waker> waker_;

    std::map<std::int32_t, std::unique_ptr<partition_state>> partitions_;
    std::size_t in_flight_ = 0;
    boost::asio::steady_timer slot_free_;  // workers wait here for a handler slot
    std::size_t live_workers_ = 0;
    bool started_ = false;
    bool stopping_ = false;
    bool assigned_once_ = false;  // the group gave this member an assignment at least once (see ~consumer)
    bool closed_ = false;
    bool closed_cleanly_ = false;
    boost::asio::steady_timer closed_signal_;
    bool commit_dirty_ = false;
    bool commit_armed_ = false;
    boost::asio::steady_timer commit_timer_;
    std::minstd_rand jitter_rng_;  // the backoff jitter of every partition's delivery_machine

    std::optional<detail::delivery_report> report_;
    core::counter* rebalances_ = nullptr;
    core::gauge* depth_ = nullptr;
};

}  // namespace prequal::bus::kafka
