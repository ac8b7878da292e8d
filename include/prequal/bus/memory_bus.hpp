// The in-memory MessageBus: per topic and group, `partitions` FIFO queues chosen by hash(key); each
// partition is consumed by one coroutine, so per-key order holds and keys spread over partitions.
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <memory>

namespace prequal::bus {

struct memory_bus_options {
    std::size_t partitions = 8;              // per topic and group: the handler concurrency of a group
    std::size_t partition_capacity = 10000;  // publish waits while the target partition is this full
    retry_policy retry{};
};

/// An in-memory bus whose state lives on a strand of `ex`; publish/stop/healthy/pending may be called from
/// any thread. Handlers run on that strand: partitions interleave at their co_awaits, never in parallel.
/// subscribe() only before run() and before publishing starts. publish() after stop() throws
/// system_error(shut_down). Destroy the bus before `ex`'s context; `metrics` must outlive the bus.
std::unique_ptr<message_bus> make_memory_bus(boost::asio::any_io_executor ex, memory_bus_options options,
                                             core::logger log, core::metrics_registry& metrics);

}  // namespace prequal::bus
