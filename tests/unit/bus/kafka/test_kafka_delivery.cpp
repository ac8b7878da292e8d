// Kafka bus behaviour around single messages: headers and keys on the wire, dead letters, when offsets are
// committed, back-pressure by pausing partitions, and consumer-lag metrics.
#include "kafka_test_env.hpp"

#include <prequal/bus/envelope.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace asio = boost::asio;
using namespace prequal;
using namespace prequal::bus::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto deadline = std::chrono::seconds(25);

/// Parks the calling handler until `gate` is cancelled.
asio::awaitable<void> wait_for_gate(asio::steady_timer& gate) {
    boost::system::error_code ec;
    co_await gate.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

TEST_CASE("unit: kafka bus sends key and headers as the Kafka key and headers and delivers them back",
          "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics);
    const auto topic = unique_name("headers");
    std::vector<bus::message> seen;
    bus->subscribe(topic, unique_name("group"), [&](const bus::message& m) -> asio::awaitable<void> {
        seen.push_back(m);
        if (seen.size() == 2) bus->stop();
        co_return;
    });
    bus::message out;
    out.topic = topic;
    out.key = "7d4c9a52-3f0e-4a8e-9d57-0c1b2e3f4a5b";
    out.payload = R"({"message_version":1,"event_type":"loan_application_submitted"})";
    out.headers = {{"message_id", "0f6b7c1e-2d3a-4b5c-8d9e-1a2b3c4d5e6f"},
                   {"event_type", "loan_application_submitted"},
                   {"message_version", "1"},
                   {"request_id", "req-42"}};

    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            co_await bus->publish(out);
            // A record written by another Kafka client reaches the handler with its headers too.
            mock.produce(topic, -1, "other-key", "raw", {{"message_id", "raw-1"}, {"event_type", "x"}});
        },
        deadline);

    const auto records = mock.read_topic(topic, 2);
    REQUIRE(records.size() == 2);
    const auto ours =
        std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.key == out.key; });
    REQUIRE(ours != records.end());
    CHECK(ours->value == out.payload);
    CHECK(ours->headers == out.headers);

    REQUIRE(seen.size() == 2);
    const auto back = std::find_if(seen.begin(), seen.end(), [&](const auto& m) { return m.key == out.key; });
    REQUIRE(back != seen.end());
    CHECK(back->topic == topic);
    CHECK(back->payload == out.payload);
    CHECK(back->headers == out.headers);
    CHECK(back->delivery_attempt == 1);
    const auto raw =
        std::find_if(seen.begin(), seen.end(), [&](const auto& m) { return m.key == "other-key"; });
    REQUIRE(raw != seen.end());
    CHECK(raw->header("message_id") == "raw-1");
    CHECK(raw->header("event_type") == "x");
}

TEST_CASE(
    "unit: kafka bus dead-letters a poison message at once with reason headers and the partition flows on",
    "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics;
    // One partition: the poison message sits between two good ones of other keys.
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics, 1);
    const auto topic = unique_name("poison");
    const auto group = unique_name("group");
    int poison_attempts = 0;
    std::vector<std::string> handled;
    bus->subscribe(topic, group, [&](const bus::message& m) -> asio::awaitable<void> {
        if (m.payload == "poison") {
            ++poison_attempts;
            throw bus::poison_message("missing field application_id");
        }
        handled.push_back(m.payload);
        if (handled.size() == 2) bus->stop();
        co_return;
    });
    bus::message poison = make_message(topic, "key-b", "poison");
    poison.headers.emplace_back("event_type", "loan_application_submitted");
    const std::string poison_id(poison.header("message_id"));

    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            co_await bus->publish(make_message(topic, "key-a", "ok-1"));
            co_await bus->publish(poison);
            co_await bus->publish(make_message(topic, "key-c", "ok-2"));
        },
        deadline);

    CHECK(poison_attempts == 1);
    CHECK(handled == std::vector<std::string>{"ok-1", "ok-2"});
    const auto dead = mock.read_topic(bus::dlq_topic(topic), 1);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].key == "key-b");
    CHECK(dead[0].value == "poison");
    CHECK(dead[0].header("message_id") == poison_id);
    CHECK(dead[0].header("event_type") == "loan_application_submitted");
    CHECK_THAT(dead[0].header("dlq_reason"), Catch::Contains("missing field application_id"));
    CHECK(dead[0].header("dlq_group") == group);
    CHECK(dead[0].header("dlq_attempts") == "1");
    // All three were acknowledged (the poison one through its dead letter) and committed at stop().
    CHECK(mock.committed_offset(group, topic, 0) == 3);
    CHECK(metrics.get_counter("bus_messages_dead_lettered_total", "", {{"topic", topic}, {"group", group}})
              .value() == 1);
}

namespace {

/// Phase 1: a bus handles "first", then "second" never succeeds (its handler throws every time, or never
/// completes) and the bus is abandoned without stop(). Phase 2: a new bus in the same group must get
/// "second" again — and not "first", whose offset was committed.
void check_redelivery_after_abandon(bool handler_throws) {
    auto& mock = shared_mock();
    const auto topic = unique_name("abandon");
    const auto group = unique_name("group");
    std::atomic<bool> second_started{false};
    {
        asio::io_context ioc;
        core::metrics_registry metrics;
        auto options = test_options(mock);
        options.retry = {1000, 20ms, 50ms};
        asio::steady_timer never(ioc, asio::steady_timer::time_point::max());
        auto bus = make_test_bus(mock, ioc.get_executor(), options, metrics, 1);
        bus->subscribe(topic, group, [&](const bus::message& m) -> asio::awaitable<void> {
            if (m.payload != "second") co_return;
            second_started = true;
            if (handler_throws) throw std::runtime_error("database unavailable");
            co_await wait_for_gate(never);
        });
        asio::co_spawn(ioc, bus->run(), asio::detached);
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                co_await bus->publish(make_message(topic, "app-1", "first"));
                co_await bus->publish(make_message(topic, "app-1", "second"));
            },
            asio::detached);
        std::thread io([&] { ioc.run(); });
        const auto until = std::chrono::steady_clock::now() + 20s;
        bool committed_first = false;
        while (std::chrono::steady_clock::now() < until && !(committed_first && second_started)) {
            committed_first = mock.committed_offset(group, topic, 0) == 1;
            std::this_thread::sleep_for(50ms);
        }
        // Let a few more failures (and commit intervals) pass: none of them may move the offset.
        std::this_thread::sleep_for(300ms);
        ioc.stop();
        io.join();
        REQUIRE(committed_first);
        REQUIRE(second_started);
        CHECK(mock.committed_offset(group, topic, 0) == 1);
        bus.reset();  // abandoned: no stop(), no close; the context dies with the handler still pending
    }
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics, 1);
    std::vector<std::pair<std::string, int>> seen;
    bus->subscribe(topic, group, [&](const bus::message& m) -> asio::awaitable<void> {
        seen.emplace_back(m.payload, m.delivery_attempt);
        bus->stop();
        co_return;
    });
    run_bus(ioc, *bus, {}, deadline);
    CHECK(seen == std::vector<std::pair<std::string, int>>{{"second", 1}});
    CHECK(mock.committed_offset(group, topic, 0) == 2);
}

}  // namespace

TEST_CASE("unit: kafka bus commits an offset only after its handler succeeded (handler keeps failing)",
          "[unit][bus][kafka]") {
    check_redelivery_after_abandon(true);
}

TEST_CASE("unit: kafka bus commits an offset only after its handler succeeded (handler never completes)",
          "[unit][bus][kafka]") {
    check_redelivery_after_abandon(false);
}

TEST_CASE("unit: kafka bus pauses a partition whose local queue is full and resumes it when drained",
          "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto options = test_options(mock);
    options.max_buffered = 4;
    auto bus = make_test_bus(mock, ioc.get_executor(), options, metrics, 1);
    const auto topic = unique_name("backpressure");
    constexpr int n = 40;
    asio::steady_timer gate(ioc, asio::steady_timer::time_point::max());
    std::vector<int> seen;
    bus->subscribe(topic, unique_name("group"), [&](const bus::message& m) -> asio::awaitable<void> {
        seen.push_back(std::stoi(m.payload));
        if (seen.size() == 1) co_await wait_for_gate(gate);
        if (seen.size() == static_cast<std::size_t>(n)) bus->stop();
    });
    std::size_t max_pending = 0;
    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < n; ++i)
                co_await bus->publish(make_message(topic, "k" + std::to_string(i), std::to_string(i)));
            REQUIRE(co_await wait_until([&] { return !seen.empty(); }, 20s));
            // Without pausing, librdkafka would hand over all 40 records within this second.
            for (int i = 0; i < 100; ++i) {
                max_pending = std::max(max_pending, bus->pending());
                co_await sleep_for(10ms);
            }
            gate.cancel();
        },
        deadline);

    std::vector<int> expected(n);
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(seen == expected);
    CHECK(max_pending >= 1);
    CHECK(max_pending <= 2 * options.max_buffered);
}

TEST_CASE("unit: kafka bus reports consumer lag per partition from librdkafka statistics",
          "[unit][bus][kafka]") {
    auto& mock = shared_mock();
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto bus = make_test_bus(mock, ioc.get_executor(), test_options(mock), metrics, 1);
    const auto topic = unique_name("lag");
    const auto group = unique_name("group");
    asio::steady_timer gate(ioc, asio::steady_timer::time_point::max());
    int handled = 0;
    bus->subscribe(topic, group, [&](const bus::message& m) -> asio::awaitable<void> {
        if (m.payload == "5") co_await wait_for_gate(gate);
        ++handled;
        co_return;
    });
    core::gauge& lag =
        metrics.get_gauge("kafka_consumer_lag", "", {{"topic", topic}, {"partition", "0"}, {"group", group}});
    bool lag_while_blocked = false;
    bool lag_after = false;
    run_bus(
        ioc, *bus,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 10; ++i)
                co_await bus->publish(make_message(topic, "app-1", std::to_string(i)));
            // 0..4 committed, 5 blocked: five records between the committed offset and the end.
            lag_while_blocked = co_await wait_until([&] { return lag.value() == 5; }, 15s);
            gate.cancel();
            lag_after = co_await wait_until([&] { return handled == 10 && lag.value() == 0; }, 15s);
            bus->stop();
        },
        deadline);
    CHECK(lag_while_blocked);
    CHECK(lag_after);
    CHECK(metrics.render().find("kafka_consumer_lag{") != std::string::npos);
}
