// The behaviour every message_bus implementation must show (message_bus.hpp), written once against a
// factory so the memory bus and the Kafka bus run the same cases: PREQUAL_BUS_CONTRACT_TEST_CASES.
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/metrics.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace prequal::bus::testing {

using namespace std::chrono_literals;

/// What a case asks of the bus it gets. Each implementation maps these onto its own options.
struct bus_test_options {
    std::size_t partitions = 8;              // handler concurrency per group
    std::size_t partition_capacity = 10000;  // memory bus: publish back-pressure threshold
    retry_policy retry{5, 1ms, 5ms};         // small backoffs keep the suite fast
};

/// Builds the bus under test on `ex`, reporting metrics into `metrics` (which outlives the bus).
using bus_factory = std::function<std::unique_ptr<message_bus>(
    boost::asio::any_io_executor ex, const bus_test_options& options, core::metrics_registry& metrics)>;

struct bus_contract_env {
    bus_factory make;
    std::chrono::seconds deadline{10};  // a case that has not finished by then fails instead of hanging
};

/// `base` plus a suffix unique in this process and across runs (a Kafka cluster keeps old topics).
std::string unique_name(std::string_view base);

/// Runs bus.run() and `body` on `ioc` until run() returns (the body or a handler calls stop()), then calls
/// `after_run` (if any) and lets the context drain. Fails the test if that takes longer than `deadline`;
/// rethrows what run() or the body threw.
void run_bus(boost::asio::io_context& ioc, message_bus& bus,
             const std::function<boost::asio::awaitable<void>()>& body, std::chrono::seconds deadline,
             const std::function<void()>& after_run = {});

/// Waits `d` on the calling coroutine's executor.
boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d);

/// A message with a message_id header (as every real event carries).
message make_message(std::string topic, std::string key, std::string payload);

namespace contract {

void every_group_gets_every_message_once(const bus_contract_env& env);
void messages_of_a_key_arrive_in_publish_order(const bus_contract_env& env);
void different_keys_are_handled_concurrently(const bus_contract_env& env);
void failed_message_is_redelivered_before_the_next_of_its_key(const bus_contract_env& env);
void exhausted_message_goes_to_the_dead_letter_topic(const bus_contract_env& env);
void poison_message_is_dead_lettered_without_retries(const bus_contract_env& env);
void unavailable_dependency_does_not_spend_attempts(const bus_contract_env& env);
void stop_lets_the_in_flight_handler_finish(const bus_contract_env& env);

}  // namespace contract
}  // namespace prequal::bus::testing

/// Defines one Catch2 TEST_CASE per contract behaviour. `env_expr` yields a bus_contract_env; `prefix` is a
/// string literal such as "unit: memory bus"; `tags` e.g. "[unit][bus]".
#define PREQUAL_BUS_CONTRACT_TEST_CASES(env_expr, prefix, tags)                                       \
    TEST_CASE(prefix " delivers every message to every group exactly once", tags) {                   \
        ::prequal::bus::testing::contract::every_group_gets_every_message_once(env_expr);             \
    }                                                                                                 \
    TEST_CASE(prefix " keeps publish order per key while handlers interleave", tags) {                \
        ::prequal::bus::testing::contract::messages_of_a_key_arrive_in_publish_order(env_expr);       \
    }                                                                                                 \
    TEST_CASE(prefix " handles different keys concurrently", tags) {                                  \
        ::prequal::bus::testing::contract::different_keys_are_handled_concurrently(env_expr);         \
    }                                                                                                 \
    TEST_CASE(prefix " redelivers a failed message before the next one of its key", tags) {           \
        ::prequal::bus::testing::contract::failed_message_is_redelivered_before_the_next_of_its_key(  \
            env_expr);                                                                                \
    }                                                                                                 \
    TEST_CASE(prefix " dead-letters a message after max attempts and keeps flowing", tags) {          \
        ::prequal::bus::testing::contract::exhausted_message_goes_to_the_dead_letter_topic(env_expr); \
    }                                                                                                 \
    TEST_CASE(prefix " dead-letters a poison message without retrying it", tags) {                    \
        ::prequal::bus::testing::contract::poison_message_is_dead_lettered_without_retries(env_expr); \
    }                                                                                                 \
    TEST_CASE(prefix " retries through a dependency outage without spending attempts", tags) {        \
        ::prequal::bus::testing::contract::unavailable_dependency_does_not_spend_attempts(env_expr);  \
    }                                                                                                 \
    TEST_CASE(prefix " stop lets the in-flight handler finish and delivers nothing more", tags) {     \
        ::prequal::bus::testing::contract::stop_lets_the_in_flight_handler_finish(env_expr);          \
    }
