// Kafka bus behaviour when the cluster moves: a broker going down and coming back, health reporting,
// delivery timeouts, and two buses of one consumer group sharing and handing over partitions.
#include "kafka_test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <stdexcept>

namespace asio = boost::asio;
using namespace prequal;
using namespace prequal::bus::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto deadline = std::chrono::seconds(28);

}  // namespace

TEST_CASE(
    "unit: kafka bus completes publishes made while the broker was down once it is back, losing nothing",
    "[unit][bus][kafka]") {
    test::kafka_mock mock(1);
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics, 2);
    const auto topic = unique_name("outage");
    constexpr int n = 20;
    std::set<std::string> seen;
    bus->subscribe(topic, unique_name("group"), [&](const bus::message& m) -> asio::awaitable<void> {
        seen.insert(m.payload);
        if (seen.size() == n + 1) bus->stop();
        co_return;
    });
    bool went_unhealthy = false;
    int completed_while_down = -1;
    int completed = 0;
    int failed = 0;
    bool healthy_again = false;
    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            co_await bus->publish(make_message(topic, "k", "before"));
            mock.set_broker_down(1);
            went_unhealthy = co_await wait_until([&] { return !bus->healthy(); }, 15s);
            auto ex = co_await asio::this_coro::executor;
            for (int i = 0; i < n; ++i)
                asio::co_spawn(
                    ex,
                    [&, i]() -> asio::awaitable<void> {
                        co_await bus->publish(
                            make_message(topic, "k" + std::to_string(i), "during-" + std::to_string(i)));
                        ++completed;
                    },
                    [&](std::exception_ptr e) {
                        if (e) ++failed;
                    });
            // Nothing can be acknowledged while the only broker refuses connections.
            co_await sleep_for(500ms);
            completed_while_down = completed;
            mock.set_broker_up(1);
            co_await wait_until([&] { return completed + failed == n; }, 20s);
            healthy_again = co_await wait_until([&] { return bus->healthy(); }, 10s);
        },
        deadline);

    CHECK(went_unhealthy);
    CHECK(completed_while_down == 0);
    CHECK(failed == 0);
    CHECK(completed == n);
    CHECK(healthy_again);
    CHECK(seen.size() == n + 1);
}

TEST_CASE("unit: kafka bus is not healthy while no broker is reachable", "[unit][bus][kafka]") {
    asio::io_context ioc;
    core::metrics_registry metrics;
    // Port 1 on loopback: nothing listens, every connection is refused.
    bus::kafka_bus_options options;
    options.brokers = "127.0.0.1:1";
    options.stats_interval = 100ms;
    options.properties = {{"reconnect.backoff.max.ms", "200"}};
    auto bus = bus::make_kafka_bus(ioc.get_executor(), options, quiet_logger(), metrics);
    bool ever_healthy = false;
    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 100; ++i) {
                ever_healthy = ever_healthy || bus->healthy();
                co_await sleep_for(10ms);
            }
            bus->stop();
        },
        deadline);
    CHECK_FALSE(ever_healthy);
}

TEST_CASE("unit: kafka bus becomes healthy without publishing once a broker answers", "[unit][bus][kafka]") {
    test::kafka_mock mock(1);
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics);
    bool healthy = false;
    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            // A worker replica may run for a long time before it publishes; /ready must not wait for that.
            healthy = co_await wait_until([&] { return bus->healthy(); }, 10s);
            bus->stop();
        },
        deadline);
    CHECK(healthy);
}

TEST_CASE("unit: kafka bus fails a publish with librdkafka's reason when delivery times out",
          "[unit][bus][kafka]") {
    test::kafka_mock mock(1);
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto options = test_options(mock);
    options.delivery_timeout = 1500ms;
    auto bus = make_test_bus(mock, ioc.get_executor(), options, metrics, 1);
    const auto topic = unique_name("timeout");
    std::string error;
    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            co_await bus->publish(make_message(topic, "k", "first"));
            mock.set_broker_down(1);
            try {
                co_await bus->publish(make_message(topic, "k", "lost"));
            } catch (const std::runtime_error& e) {
                error = e.what();
            }
            mock.set_broker_up(1);
            bus->stop();
        },
        deadline);
    CHECK_THAT(error, Catch::Contains("timed out"));
    CHECK(metrics.get_counter("bus_publish_failures_total", "", {{"topic", topic}}).value() == 1);
    CHECK(bus->pending() == 0);
}

TEST_CASE("unit: kafka buses of one group share the partitions and one takes over when the other stops",
          "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics_a;
    core::metrics_registry metrics_b;
    auto a = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics_a, 4);
    auto b = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics_b, 4);
    const auto topic = unique_name("shared");
    const auto group = unique_name("group");
    std::set<std::string> handled;
    std::set<std::string> keys_of_a;
    std::set<std::string> keys_of_b_after_a;
    bool a_finished = false;
    bool b_finished = false;
    int a_after_finish = 0;
    int handled_by_b = 0;
    a->subscribe(topic, group, [&](const bus::message& m) -> asio::awaitable<void> {
        if (a_finished) ++a_after_finish;
        handled.insert(m.payload);
        keys_of_a.insert(m.key);
        co_return;
    });
    b->subscribe(topic, group, [&](const bus::message& m) -> asio::awaitable<void> {
        handled.insert(m.payload);
        ++handled_by_b;
        if (a_finished) keys_of_b_after_a.insert(m.key);
        co_return;
    });

    std::set<std::string> published;
    bool publishing = true;
    bool shared = false;
    bool all_handled = false;
    bool timed_out = false;
    asio::steady_timer guard(ioc, deadline);
    guard.async_wait([&](boost::system::error_code ec) {
        if (ec) return;
        timed_out = true;
        ioc.stop();
    });
    std::exception_ptr failure;
    auto note = [&](std::exception_ptr e) {
        if (e && !failure) failure = e;
    };
    asio::co_spawn(ioc, a->run(), [&](std::exception_ptr e) {
        note(e);
        a_finished = true;
    });
    asio::co_spawn(ioc, b->run(), [&](std::exception_ptr e) {
        note(e);
        b_finished = true;
        guard.cancel();
    });
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; publishing; ++i) {
                const auto payload = "m" + std::to_string(i);
                co_await b->publish(make_message(topic, "app-" + std::to_string(i % 16), payload));
                published.insert(payload);
                co_await sleep_for(20ms);
            }
        },
        note);
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            shared = co_await wait_until([&] { return !keys_of_a.empty() && handled_by_b > 0; }, 15s);
            a->stop();
            co_await wait_until([&] { return a_finished; }, 15s);
            // Keep publishing for a while after A left: those messages (and any A had not finished) go to B.
            co_await sleep_for(1s);
            publishing = false;
            co_await sleep_for(100ms);
            all_handled = co_await wait_until([&] { return handled == published; }, 20s);
            b->stop();
        },
        note);
    ioc.run();
    if (timed_out) {
        a->stop();
        b->stop();
        FAIL("the case did not finish within " << deadline.count() << " s");
    }
    if (failure) std::rethrow_exception(failure);

    CHECK(shared);
    CHECK(a_finished);
    CHECK(b_finished);
    CHECK(a_after_finish == 0);
    CHECK(all_handled);
    CHECK(published.size() > 50);
    // B took over every key (hence partition) that A had served.
    for (const auto& key : keys_of_a) {
        INFO("key " << key);
        CHECK(keys_of_b_after_a.count(key) == 1);
    }
}
