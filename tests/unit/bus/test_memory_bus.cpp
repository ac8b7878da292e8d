// The in-memory bus: the shared bus contract plus what only it promises (back-pressure, drops counted,
// metrics, logs without payloads, non-durability, stop/cancel edge cases).
#include "bus_contract.hpp"

#include <prequal/bus/memory_bus.hpp>
#include <prequal/core/logger.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace prequal;
using namespace prequal::bus::testing;

namespace {

/// Keeps every log line for inspection.
class capture_sink final : public core::log_sink {
public:
    void write_line(std::string_view line) override { lines.emplace_back(line); }
    std::vector<std::string> lines;
};

core::logger quiet_logger() {
    return core::logger("bus", core::log_level::error, std::make_shared<capture_sink>());
}

bus::memory_bus_options to_memory_options(const bus_test_options& o) {
    bus::memory_bus_options m;
    m.partitions = o.partitions;
    m.partition_capacity = o.partition_capacity;
    m.retry = o.retry;
    return m;
}

bus_contract_env memory_env() {
    return {[](asio::any_io_executor ex, const bus_test_options& o, core::metrics_registry& metrics) {
                return bus::make_memory_bus(std::move(ex), to_memory_options(o), quiet_logger(), metrics);
            },
            std::chrono::seconds(10)};
}

constexpr auto deadline = std::chrono::seconds(10);

std::uint64_t counter_value(core::metrics_registry& m, const std::string& name,
                            const core::metric_labels& labels) {
    return m.get_counter(name, "", labels).value();
}

}  // namespace

PREQUAL_BUS_CONTRACT_TEST_CASES(memory_env(), "unit: memory bus", "[unit][bus]")

TEST_CASE("unit: memory bus publish waits while the partition is full", "[unit][bus]") {
    asio::io_context ioc;
    core::metrics_registry metrics;
    bus::memory_bus_options options;
    options.partitions = 1;
    options.partition_capacity = 4;
    auto b = bus::make_memory_bus(ioc.get_executor(), options, quiet_logger(), metrics);

    // The handler blocks on `gate` until the test opens it.
    asio::steady_timer gate(ioc, asio::steady_timer::time_point::max());
    bool gate_open = false;
    int handled = 0;
    int published = 0;
    std::vector<int> queued_at_each_publish;  // published - handled right after each publish completed
    b->subscribe("slow", "group", [&](const bus::message&) -> asio::awaitable<void> {
        while (!gate_open) {
            boost::system::error_code ec;
            co_await gate.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (++handled == 10) b->stop();
    });

    int published_while_closed = -1;
    std::size_t pending_while_closed = 0;
    run_bus(
        ioc, *b,
        [&]() -> asio::awaitable<void> {
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                    for (int i = 0; i < 10; ++i) {
                        co_await b->publish(make_message("slow", "app-" + std::to_string(i), "m"));
                        ++published;
                        queued_at_each_publish.push_back(published - handled);
                    }
                },
                asio::detached);
            // Nothing can be handled while the gate is closed, so however long we wait, the publisher must
            // be stuck after filling the partition.
            while (b->pending() < 4) co_await sleep_for(1ms);
            co_await sleep_for(50ms);
            published_while_closed = published;
            pending_while_closed = b->pending();
            gate_open = true;
            gate.cancel();
        },
        deadline);

    CHECK(published_while_closed == 4);
    CHECK(pending_while_closed == 4);
    CHECK(published == 10);
    CHECK(handled == 10);
    for (int q : queued_at_each_publish) CHECK(q <= 4);
    CHECK(b->pending() == 0);
}

TEST_CASE("unit: memory bus drops messages of a topic without subscribers and counts them", "[unit][bus]") {
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto b = bus::make_memory_bus(ioc.get_executor(), {}, quiet_logger(), metrics);
    run_bus(
        ioc, *b,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 3; ++i) co_await b->publish(make_message("nobody_listens", "app-1", "x"));
            b->stop();
        },
        deadline);

    CHECK(counter_value(metrics, "bus_messages_dropped_total", {{"topic", "nobody_listens"}}) == 3);
    CHECK(b->pending() == 0);
    CHECK_THAT(metrics.render(), Catch::Contains("bus_messages_dropped_total{topic=\"nobody_listens\"} 3"));
}

TEST_CASE("unit: memory bus never queues or blocks on a topic nobody subscribes to, beyond any capacity",
          "[unit][bus]") {
    // loan_applications_decided has no consumer inside prequal (contract section 7): on the memory bus its
    // events must not fill a partition and stall the outbox publisher, which publishes them in order with
    // the topics that are consumed. Here a consumed topic shares the bus with a far busier unconsumed one.
    asio::io_context ioc;
    core::metrics_registry metrics;
    bus::memory_bus_options options;
    options.partitions = 1;
    options.partition_capacity = 2;
    auto b = bus::make_memory_bus(ioc.get_executor(), options, quiet_logger(), metrics);
    int handled = 0;
    b->subscribe("consumed", "g", [&](const bus::message&) -> asio::awaitable<void> {
        ++handled;
        co_return;
    });
    std::size_t most_pending = 0;
    run_bus(
        ioc, *b,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 1000; ++i) {
                co_await b->publish(make_message("unconsumed", "app-" + std::to_string(i % 7), "x"));
                most_pending = std::max(most_pending, b->pending());
                if (i % 100 == 0) co_await b->publish(make_message("consumed", "app-1", "y"));
            }
            while (handled < 10) co_await sleep_for(std::chrono::milliseconds(1));
            b->stop();
        },
        deadline);

    CHECK(handled == 10);
    CHECK(most_pending <= 2);  // only the consumed topic's messages ever wait
    CHECK(counter_value(metrics, "bus_messages_dropped_total", {{"topic", "unconsumed"}}) == 1000);
    CHECK(counter_value(metrics, "bus_messages_published_total", {{"topic", "unconsumed"}}) == 1000);
    CHECK(b->pending() == 0);
}

TEST_CASE("unit: memory bus counts deliveries, failures and dead letters and logs without payloads",
          "[unit][bus]") {
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto sink = std::make_shared<capture_sink>();
    bus::memory_bus_options options;
    options.retry = {2, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
    auto b = bus::make_memory_bus(ioc.get_executor(), options,
                                  core::logger("bus", core::log_level::debug, sink), metrics);
    const std::string secret = "pan_number_encrypted:SECRET-4111111111111111";
    int handled = 0;
    b->subscribe("events", "worker", [&](const bus::message& m) -> asio::awaitable<void> {
        if (m.payload == secret) throw std::runtime_error("cannot process");
        if (++handled == 3) b->stop();
        co_return;
    });
    run_bus(
        ioc, *b,
        [&]() -> asio::awaitable<void> {
            co_await b->publish(make_message("events", "app-1", secret));
            // Same key: the oks queue behind the failing message, so it is dead-lettered before they finish.
            for (int i = 0; i < 3; ++i) co_await b->publish(make_message("events", "app-1", "ok"));
        },
        deadline);

    const core::metric_labels labels{{"topic", "events"}, {"group", "worker"}};
    CHECK(counter_value(metrics, "bus_messages_published_total", {{"topic", "events"}}) == 4);
    CHECK(counter_value(metrics, "bus_messages_delivered_total", labels) == 3);
    CHECK(counter_value(metrics, "bus_handler_failures_total", labels) == 2);
    CHECK(counter_value(metrics, "bus_messages_dead_lettered_total", labels) == 1);
    // The dead letter had no subscriber: dropped on the dlq topic.
    CHECK(counter_value(metrics, "bus_messages_dropped_total", {{"topic", "events_dlq"}}) == 1);
    CHECK(metrics.get_gauge("bus_queue_depth", "", {{"topic", "events"}}).value() == 0);
    CHECK(b->pending() == 0);

    int warnings = 0;
    int errors = 0;
    for (const auto& line : sink->lines) {
        CHECK(line.find("SECRET-4111111111111111") == std::string::npos);
        if (line.find("\"warn\"") != std::string::npos) ++warnings;
        if (line.find("\"error\"") != std::string::npos) ++errors;
    }
    CHECK(warnings == 2);
    CHECK(errors == 1);
}

TEST_CASE("unit: memory bus is not durable: queued messages stay behind after stop", "[unit][bus]") {
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto b = bus::make_memory_bus(ioc.get_executor(), {}, quiet_logger(), metrics);
    CHECK_FALSE(b->durable());
    CHECK(b->healthy());
    int handled = 0;
    b->subscribe("work", "group", [&](const bus::message&) -> asio::awaitable<void> {
        ++handled;
        b->stop();  // from inside a handler: nothing more is delivered, even on other partitions
        co_return;
    });
    // Publish before run(), so the first delivery cannot race the remaining publishes.
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 5; ++i)
                co_await b->publish(make_message("work", "app-" + std::to_string(i), "x"));
        },
        asio::detached);
    ioc.run();
    ioc.restart();
    REQUIRE(b->pending() == 5);
    run_bus(ioc, *b, {}, deadline);

    CHECK(handled == 1);
    CHECK(b->pending() == 4);
    CHECK_FALSE(b->healthy());
}

TEST_CASE("unit: memory bus rejects publish after stop and subscribe after run", "[unit][bus]") {
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto b = bus::make_memory_bus(ioc.get_executor(), {}, quiet_logger(), metrics);
    b->subscribe("t", "g", [](const bus::message&) -> asio::awaitable<void> { co_return; });
    CHECK_THROWS_AS(b->subscribe("t", "g", [](const bus::message&) -> asio::awaitable<void> { co_return; }),
                    std::logic_error);
    CHECK_THROWS_AS(b->subscribe("t", "g2", bus::handler{}), std::invalid_argument);

    bool subscribe_threw = false;
    bool publish_threw = false;
    run_bus(
        ioc, *b,
        [&]() -> asio::awaitable<void> {
            co_await sleep_for(std::chrono::milliseconds(1));
            try {
                b->subscribe("t", "late", [](const bus::message&) -> asio::awaitable<void> { co_return; });
            } catch (const std::logic_error&) {
                subscribe_threw = true;
            }
            b->stop();
            try {
                co_await b->publish(make_message("t", "k", "x"));
            } catch (const boost::system::system_error&) {
                publish_threw = true;
            }
        },
        deadline);
    CHECK(subscribe_threw);
    CHECK(publish_threw);
}

TEST_CASE("unit: memory bus run returns at once when stopped before it started", "[unit][bus]") {
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto b = bus::make_memory_bus(ioc.get_executor(), {}, quiet_logger(), metrics);
    b->subscribe("t", "g", [](const bus::message&) -> asio::awaitable<void> { co_return; });
    b->stop();
    run_bus(ioc, *b, {}, deadline);
    CHECK_FALSE(b->healthy());
}

TEST_CASE("unit: memory bus treats cancelling run as stop and still waits for the handler", "[unit][bus]") {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context ioc;
    core::metrics_registry metrics;
    auto b = bus::make_memory_bus(ioc.get_executor(), {}, quiet_logger(), metrics);
    bool started = false;
    bool finished = false;
    int deliveries = 0;
    b->subscribe("t", "g", [&](const bus::message&) -> asio::awaitable<void> {
        ++deliveries;
        started = true;
        co_await sleep_for(std::chrono::milliseconds(50));
        finished = true;
    });
    bool finished_when_run_returned = false;
    std::exception_ptr error;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            co_await b->publish(make_message("t", "k", "1"));
            co_await b->publish(make_message("t", "k", "2"));
            auto wait_for_start = [&]() -> asio::awaitable<void> {
                while (!started) co_await sleep_for(std::chrono::milliseconds(1));
            };
            co_await (b->run() || wait_for_start());
            finished_when_run_returned = finished;
        },
        [&](std::exception_ptr e) { error = e; });
    ioc.run_for(deadline);
    if (error) std::rethrow_exception(error);
    CHECK(finished_when_run_returned);
    CHECK(deliveries == 1);
    CHECK_FALSE(b->healthy());
}

TEST_CASE("unit: memory bus keeps per-key order with publishers on a multi-threaded context", "[unit][bus]") {
    asio::io_context ioc(2);
    core::metrics_registry metrics;
    auto b = bus::make_memory_bus(ioc.get_executor(), {}, quiet_logger(), metrics);
    constexpr int publishers = 4;
    constexpr int per_publisher = 250;
    // Handlers of one bus run on its strand, so this state needs no lock.
    std::map<std::string, std::vector<int>> seen;  // "publisher/key" → sequence numbers
    int handled = 0;
    b->subscribe("mt", "group", [&](const bus::message& m) -> asio::awaitable<void> {
        co_await sleep_for(std::chrono::milliseconds(0));
        const auto slash = m.payload.find('/');
        seen[m.payload.substr(0, slash) + "/" + m.key].push_back(std::stoi(m.payload.substr(slash + 1)));
        if (++handled == publishers * per_publisher) b->stop();
    });

    std::atomic<int> publish_errors{0};
    std::atomic<bool> run_returned{false};
    asio::co_spawn(ioc, b->run(), [&](std::exception_ptr) { run_returned = true; });
    for (int p = 0; p < publishers; ++p)
        asio::co_spawn(
            ioc,
            [&b, p]() -> asio::awaitable<void> {
                for (int i = 0; i < per_publisher; ++i)
                    co_await b->publish(make_message("mt", "app-" + std::to_string(i % 10),
                                                     std::to_string(p) + "/" + std::to_string(i)));
            },
            [&](std::exception_ptr e) {
                if (e) ++publish_errors;
            });
    auto work = asio::make_work_guard(ioc);
    std::thread other([&] { ioc.run_for(deadline); });
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!run_returned && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    work.reset();
    ioc.run_for(std::chrono::seconds(1));
    other.join();

    REQUIRE(run_returned);
    CHECK(publish_errors == 0);
    CHECK(handled == publishers * per_publisher);
    for (const auto& [stream, seqs] : seen) {
        INFO("stream " << stream);
        CHECK(seqs.size() == static_cast<std::size_t>(per_publisher / 10));
        CHECK(std::is_sorted(seqs.begin(), seqs.end()));
    }
}
