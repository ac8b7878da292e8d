// Internal state of the in-memory bus: topics → groups → partitions (bounded FIFO queues), all touched only
// on the bus strand. Kept apart from the public memory_bus class so spawned coroutines can share ownership.
#pragma once

#include "delivery_report.hpp"

#include <prequal/bus/memory_bus.hpp>
#include <prequal/bus/message.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace prequal::bus::detail {

/// One consumer's queue. The head stays queued while it is being handled, so it counts against capacity.
struct partition {
    explicit partition(const boost::asio::any_io_executor& ex);

    std::deque<message> queue;
    // Timers that never expire serve as condition variables: a coroutine parks on async_wait and is woken
    // by cancel()/cancel_one(). Their expiry is set once, because re-arming would wake the other waiters.
    boost::asio::steady_timer not_empty;  // the consumer parks here while the queue is empty
    boost::asio::steady_timer not_full;   // publishers park here, oldest first, while the queue is full
    boost::asio::steady_timer backoff;    // the consumer waits here between redeliveries
    std::size_t waiting_publishers = 0;
};

struct group_state {
    std::string name;
    handler handle;
    std::vector<std::unique_ptr<partition>> partitions;
    std::optional<delivery_report> report;  // set by add_group
};

struct topic_state {
    std::string name;
    std::vector<std::unique_ptr<group_state>> groups;
    core::counter* published = nullptr;
    core::counter* dropped = nullptr;  // created on the first drop
    core::gauge* depth = nullptr;      // created with the first group
};

/// Everything the bus owns. Shared by the memory_bus object and every coroutine it spawns, so a coroutine
/// that outlives the bus object (e.g. a handler still running after the owner let go) stays valid.
/// Unless noted, members are accessed only on `strand`.
struct bus_state {
    bus_state(boost::asio::any_io_executor ex, memory_bus_options opts, core::logger logger,
              core::metrics_registry& registry);

    boost::asio::strand<boost::asio::any_io_executor> strand;
    memory_bus_options options;
    core::logger log;
    core::metrics_registry& metrics;

    std::unordered_map<std::string, std::unique_ptr<topic_state>> topics;
    bool stopping = false;
    std::size_t live_consumers = 0;
    boost::asio::steady_timer consumers_done;  // woken when stopping or when the last consumer exits
    std::minstd_rand jitter_rng;               // the backoff jitter of every partition's delivery_machine

    std::atomic<bool> stop_requested{false};  // any thread
    std::atomic<bool> started{false};         // any thread
    std::atomic<std::size_t> queued{0};       // any thread: messages queued across all groups

    /// The topic's state, created (with its metric series) on first use.
    topic_state& topic(const std::string& name);

    /// Adds consumer group `group` on `topic`; throws std::logic_error if it exists already.
    void add_group(const std::string& topic, std::string group, handler h);

    /// Marks the bus stopping and wakes every parked coroutine so it can notice.
    void halt();
};

/// Copies `msg` into the matching partition of every group of its topic, waiting while a partition is full.
/// Drops (and counts) it when the topic has no group. Throws system_error(shut_down) once stopping.
/// Must run on the bus strand.
boost::asio::awaitable<void> enqueue(std::shared_ptr<bus_state> self, message msg);

/// Spawns one consumer per partition and completes once stopping and every consumer exited.
/// Cancelling it acts as halt(). Must run on the bus strand.
boost::asio::awaitable<void> run_consumers(std::shared_ptr<bus_state> self);

}  // namespace prequal::bus::detail
