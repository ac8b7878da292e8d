// Shared pieces of the Kafka bus tests: a process-wide mock cluster, bus options tuned for it, a bus
// decorator that creates every topic it touches (the Kafka bus itself never creates topics), and waits.
#pragma once

#include "support/kafka_mock.hpp"
#include "unit/bus/bus_contract.hpp"

#include <prequal/bus/kafka_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace prequal::bus::testing {

/// The cluster shared by tests that do not break it (topics and groups are unique per test).
test::kafka_mock& shared_mock();

/// A logger that prints nothing (unless PREQUAL_TEST_KAFKA_LOG=1: everything, on stderr).
core::logger quiet_logger();

/// Options for a bus on `mock`: fast rebalances, quick commits and statistics.
kafka_bus_options test_options(const test::kafka_mock& mock);

/// Wraps `inner` so that every topic it publishes to or subscribes to (and its _dlq) exists in `mock`.
std::unique_ptr<message_bus> with_topics(test::kafka_mock& mock, std::unique_ptr<message_bus> inner,
                                         int partitions = 4);

/// A Kafka bus on `mock` (topics created on demand) built from `options`.
std::unique_ptr<message_bus> make_test_bus(test::kafka_mock& mock, boost::asio::any_io_executor ex,
                                           kafka_bus_options options, core::metrics_registry& metrics,
                                           int partitions = 4);

/// The contract environment: Kafka buses on the shared mock.
bus_contract_env kafka_env();

/// Polls `condition` every 10 ms on the caller's executor; false when `timeout` passed first.
boost::asio::awaitable<bool> wait_until(std::function<bool()> condition, std::chrono::milliseconds timeout);

}  // namespace prequal::bus::testing
