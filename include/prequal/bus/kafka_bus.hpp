// The Kafka MessageBus (librdkafka): one idempotent producer and one consumer per subscribed (topic, group),
// bridged into Asio through queue I/O events so no io thread ever blocks. Design: docs/kafka-bus.md.
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace prequal::bus {

struct kafka_bus_options {
    std::string brokers;  // bootstrap.servers: HOST:PORT,...
    std::string client_id = "prequal";
    /// librdkafka properties applied after the bus's own defaults (so they win), except the consumers'
    /// group.id, enable.auto.commit and enable.auto.offset.store, which the bus fixes. A name starting with
    /// "producer." or "consumer." applies (without the prefix) to that side only; others apply to both.
    std::vector<std::pair<std::string, std::string>> properties;
    retry_policy retry{};
    /// Handlers running at once per (topic, group); partitions beyond it wait for a slot.
    std::size_t max_in_flight_per_group = 64;
    /// Per partition: a partition whose local queue holds this many messages is paused until it drains
    /// to half. Bounds memory when handlers are slower than the topic (see docs/kafka-bus.md).
    std::size_t max_buffered = 10000;
    /// message.timeout.ms: a publish fails when the broker has not acknowledged it by then.
    std::chrono::milliseconds delivery_timeout{30000};
    /// How often stored offsets are committed (asynchronously); stop() and revocations commit at once.
    std::chrono::milliseconds commit_interval{500};
    /// statistics.interval.ms: feeds healthy() and kafka_consumer_lag.
    std::chrono::milliseconds stats_interval{1000};
    /// stop(): how long to wait for outstanding deliveries before purging them (their publishers fail).
    std::chrono::milliseconds flush_timeout{10000};
    /// stop(): how long a consumer may take to leave its group before it is abandoned.
    std::chrono::milliseconds close_timeout{30000};
};

/// A Kafka bus whose state lives on a strand of `ex`; publish/stop/healthy/pending may be called from any
/// thread. Handlers run on that strand. subscribe() only before run(). publish() completes on the broker's
/// delivery report and throws std::runtime_error with librdkafka's reason when delivery failed, and
/// system_error(shut_down) after stop(). The bus never creates topics. The factory (producer side) and
/// subscribe() (consumer side) throw std::invalid_argument for a property librdkafka rejects. Destroy the bus
/// after run() returned and off the io thread if possible: destruction joins librdkafka's threads. Destroy it
/// before `ex`'s context; `metrics` must outlive it. In a build without Kafka support
/// (PREQUAL_WITH_KAFKA=OFF) this throws std::runtime_error.
std::unique_ptr<message_bus> make_kafka_bus(boost::asio::any_io_executor ex, kafka_bus_options options,
                                            core::logger log, core::metrics_registry& metrics);

}  // namespace prequal::bus
