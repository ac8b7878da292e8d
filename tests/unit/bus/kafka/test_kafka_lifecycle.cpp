// Kafka bus lifecycle edges: stop before run, cancelling run(), publish after stop, rejected properties.
#include "kafka_test_env.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include <stdexcept>

namespace asio = boost::asio;
using namespace prequal;
using namespace prequal::bus::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto deadline = std::chrono::seconds(25);

}  // namespace

TEST_CASE(
    "unit: kafka bus refuses publish after stop, subscribe after run, and returns from run when stopped "
    "first",
    "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics);
    const auto topic = unique_name("edges");
    bus->subscribe(topic, unique_name("group"),
                   [](const bus::message&) -> asio::awaitable<void> { co_return; });
    CHECK(bus->durable());
    bus->stop();
    bool publish_refused = false;
    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            try {
                co_await bus->publish(make_message(topic, "k", "v"));
            } catch (const boost::system::system_error& e) {
                publish_refused = e.code() == asio::error::shut_down;
            }
        },
        deadline);
    CHECK(publish_refused);
    CHECK_FALSE(bus->healthy());
    CHECK_THROWS_AS(
        bus->subscribe(topic, "late", [](const bus::message&) -> asio::awaitable<void> { co_return; }),
        std::logic_error);
}

TEST_CASE("unit: kafka bus treats cancelling run as stop and still waits for the in-flight handler",
          "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics);
    const auto topic = unique_name("cancel");
    const auto group = unique_name("group");
    bool started = false;
    bool finished = false;
    bus->subscribe(topic, group, [&](const bus::message&) -> asio::awaitable<void> {
        started = true;
        co_await sleep_for(200ms);
        finished = true;
    });
    asio::cancellation_signal cancel;
    bool run_returned = false;
    bool finished_when_run_returned = false;
    bool timed_out = false;
    std::exception_ptr run_error;
    std::exception_ptr body_error;
    asio::steady_timer guard(ioc, deadline);
    guard.async_wait([&](boost::system::error_code ec) {
        if (ec) return;
        timed_out = true;
        ioc.stop();
    });
    asio::co_spawn(ioc, bus->run(), asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                       run_error = e;
                       run_returned = true;
                       finished_when_run_returned = finished;
                       guard.cancel();
                   }));
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            co_await bus->publish(make_message(topic, "app-1", "x"));
            co_await wait_until([&] { return started; }, 20s);
            cancel.emit(asio::cancellation_type::terminal);
        },
        [&](std::exception_ptr e) { body_error = e; });
    ioc.run();
    REQUIRE_FALSE(timed_out);
    if (body_error) std::rethrow_exception(body_error);
    CHECK_FALSE(run_error);
    CHECK(started);
    CHECK(run_returned);
    CHECK(finished_when_run_returned);
    CHECK_FALSE(bus->healthy());
    CHECK(metrics.get_counter("bus_messages_delivered_total", "", {{"topic", topic}, {"group", group}})
              .value() == 1);
}

TEST_CASE("unit: kafka bus rejects librdkafka properties it does not accept, naming them",
          "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto options = test_options(mock);
    options.properties.emplace_back("no.such.property", "1");
    CHECK_THROWS_WITH(bus::make_kafka_bus(ioc.get_executor(), options, quiet_logger(), metrics),
                      Catch::Contains("no.such.property"));

    // A consumer-only property is checked when the consumer is made, i.e. in subscribe().
    options = test_options(mock);
    options.properties.emplace_back("consumer.session.timeout.ms", "soon");
    auto bus = bus::make_kafka_bus(ioc.get_executor(), options, quiet_logger(), metrics);
    CHECK_THROWS_AS(bus->subscribe(unique_name("t"), unique_name("g"),
                                   [](const bus::message&) -> asio::awaitable<void> { co_return; }),
                    std::invalid_argument);
    options.brokers.clear();
    CHECK_THROWS_AS(bus::make_kafka_bus(ioc.get_executor(), options, quiet_logger(), metrics),
                    std::invalid_argument);
}
