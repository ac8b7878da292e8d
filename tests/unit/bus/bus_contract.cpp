// The bus contract cases: each builds a bus from the factory, subscribes, publishes from a coroutine and
// asserts what the handlers saw once run() has returned. Assertions stay outside handlers, because a
// throwing assertion inside one would only look like a handler failure to the bus.
#include "bus_contract.hpp"

#include <prequal/bus/envelope.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace prequal::bus::testing {

namespace asio = boost::asio;

std::string unique_name(std::string_view base) {
    static const auto run_id = std::to_string(std::random_device{}() % 1000000);
    static std::atomic<int> counter{0};
    return std::string(base) + "-" + run_id + "-" + std::to_string(++counter);
}

void run_bus(asio::io_context& ioc, message_bus& bus, const std::function<asio::awaitable<void>()>& body,
             std::chrono::seconds deadline, const std::function<void()>& after_run) {
    bool timed_out = false;
    std::exception_ptr run_error;
    std::exception_ptr body_error;
    asio::steady_timer guard(ioc, deadline);
    guard.async_wait([&](boost::system::error_code ec) {
        if (ec) return;
        timed_out = true;
        ioc.stop();
    });
    asio::co_spawn(ioc, bus.run(), [&](std::exception_ptr e) {
        run_error = e;
        if (after_run) after_run();
        guard.cancel();
    });
    if (body)
        asio::co_spawn(ioc, body(), [&](std::exception_ptr e) {
            if (!e) return;
            body_error = e;
            bus.stop();
        });
    ioc.run();
    if (timed_out) {
        bus.stop();
        FAIL("the bus case did not finish within " << deadline.count() << " s");
    }
    if (body_error) std::rethrow_exception(body_error);
    if (run_error) std::rethrow_exception(run_error);
}

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

message make_message(std::string topic, std::string key, std::string payload) {
    message m;
    m.topic = std::move(topic);
    m.key = std::move(key);
    m.payload = std::move(payload);
    m.headers.emplace_back("message_id", unique_name("msg"));
    return m;
}

namespace contract {

namespace {

struct fixture {
    explicit fixture(const bus_contract_env& e, bus_test_options options = {})
        : env(e), bus(e.make(ioc.get_executor(), options, metrics)) {}

    void run(const std::function<asio::awaitable<void>()>& body,
             const std::function<void()>& after_run = {}) {
        run_bus(ioc, *bus, body, env.deadline, after_run);
    }

    const bus_contract_env& env;
    asio::io_context ioc;
    core::metrics_registry metrics;
    std::unique_ptr<message_bus> bus;  // declared last: destroyed before the context and the registry
};

}  // namespace

void every_group_gets_every_message_once(const bus_contract_env& env) {
    fixture f(env);
    const auto topic = unique_name("orders");
    constexpr std::size_t n = 200;
    std::vector<std::string> seen_a, seen_b;
    auto stop_when_done = [&] {
        if (seen_a.size() >= n && seen_b.size() >= n) f.bus->stop();
    };
    f.bus->subscribe(topic, unique_name("group-a"), [&](const message& m) -> asio::awaitable<void> {
        seen_a.push_back(m.payload);
        stop_when_done();
        co_return;
    });
    f.bus->subscribe(topic, unique_name("group-b"), [&](const message& m) -> asio::awaitable<void> {
        co_await sleep_for(0ms);
        seen_b.push_back(m.payload);
        stop_when_done();
    });
    std::set<std::string> expected;
    for (std::size_t i = 0; i < n; ++i) expected.insert("m" + std::to_string(i));

    f.run([&]() -> asio::awaitable<void> {
        for (std::size_t i = 0; i < n; ++i)
            co_await f.bus->publish(
                make_message(topic, "app-" + std::to_string(i % 10), "m" + std::to_string(i)));
    });

    REQUIRE(seen_a.size() == n);
    REQUIRE(seen_b.size() == n);
    CHECK(std::set<std::string>(seen_a.begin(), seen_a.end()) == expected);
    CHECK(std::set<std::string>(seen_b.begin(), seen_b.end()) == expected);
}

void messages_of_a_key_arrive_in_publish_order(const bus_contract_env& env) {
    fixture f(env);
    const auto topic = unique_name("ordered");
    constexpr int n = 1000;
    constexpr int keys = 20;
    std::map<std::string, std::vector<int>> seen;
    int handled = 0;
    f.bus->subscribe(topic, unique_name("group"), [&](const message& m) -> asio::awaitable<void> {
        const int seq = std::stoi(m.payload);
        // Yield (sometimes for a moment) so deliveries of different partitions interleave.
        co_await sleep_for(seq % 7 == 0 ? std::chrono::steady_clock::duration(1ms) : 0ms);
        seen[m.key].push_back(seq);
        if (++handled == n) f.bus->stop();
    });

    f.run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i)
            co_await f.bus->publish(
                make_message(topic, "app-" + std::to_string(i % keys), std::to_string(i)));
    });

    REQUIRE(handled == n);
    REQUIRE(seen.size() == static_cast<std::size_t>(keys));
    for (const auto& [key, seqs] : seen) {
        INFO("key " << key);
        REQUIRE(seqs.size() == static_cast<std::size_t>(n / keys));
        CHECK(std::is_sorted(seqs.begin(), seqs.end()));
    }
}

void different_keys_are_handled_concurrently(const bus_contract_env& env) {
    fixture f(env);
    const auto topic = unique_name("parallel");
    constexpr int n = 20;
    int in_flight = 0;
    int max_in_flight = 0;
    int handled = 0;
    f.bus->subscribe(topic, unique_name("group"), [&](const message&) -> asio::awaitable<void> {
        max_in_flight = std::max(max_in_flight, ++in_flight);
        // Hold the delivery until a second one overlaps it (or give up after a while), so the outcome does
        // not depend on how fast this machine is.
        for (int i = 0; i < 1000 && max_in_flight < 2; ++i) co_await sleep_for(1ms);
        --in_flight;
        if (++handled == n) f.bus->stop();
    });

    f.run([&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i)
            co_await f.bus->publish(make_message(topic, "app-" + std::to_string(i), "x"));
    });

    REQUIRE(handled == n);
    CHECK(max_in_flight > 1);
}

void failed_message_is_redelivered_before_the_next_of_its_key(const bus_contract_env& env) {
    fixture f(env);
    const auto topic = unique_name("flaky");
    std::vector<std::pair<std::string, int>> deliveries;
    f.bus->subscribe(topic, unique_name("group"), [&](const message& m) -> asio::awaitable<void> {
        deliveries.emplace_back(m.payload, m.delivery_attempt);
        if (m.payload == "first" && m.delivery_attempt < 3) throw std::runtime_error("transient failure");
        if (m.payload == "second") f.bus->stop();
        co_return;
    });

    f.run([&]() -> asio::awaitable<void> {
        co_await f.bus->publish(make_message(topic, "app-1", "first"));
        co_await f.bus->publish(make_message(topic, "app-1", "second"));
    });

    const std::vector<std::pair<std::string, int>> expected{
        {"first", 1}, {"first", 2}, {"first", 3}, {"second", 1}};
    CHECK(deliveries == expected);
}

void unavailable_dependency_does_not_spend_attempts(const bus_contract_env& env) {
    bus_test_options options;
    options.retry.max_attempts = 2;
    fixture f(env, options);
    const auto topic = unique_name("outage");
    int outage_failures = 0;
    std::vector<std::string> handled;
    f.bus->subscribe(topic, unique_name("group"), [&](const message& m) -> asio::awaitable<void> {
        // A database outage longer than max_attempts deliveries: the message must wait, not be dead-lettered.
        if (m.payload == "first" && outage_failures < 6) {
            ++outage_failures;
            throw dependency_unavailable("database unavailable");
        }
        handled.push_back(m.payload);
        if (handled.size() == 2) f.bus->stop();
        co_return;
    });
    f.run([&]() -> asio::awaitable<void> {
        co_await f.bus->publish(make_message(topic, "app-1", "first"));
        co_await f.bus->publish(make_message(topic, "app-1", "second"));
    });
    CHECK(outage_failures == 6);
    CHECK(handled == std::vector<std::string>{"first", "second"});
}

namespace {

/// Shared body of the two dead-letter cases: "bad" fails via `fail`, "after" (same key) must still flow.
void check_dead_lettering(const bus_contract_env& env, int max_attempts, const std::function<void()>& fail,
                          int expected_attempts, std::string_view expected_reason) {
    bus_test_options options;
    options.retry.max_attempts = max_attempts;
    fixture f(env, options);
    const auto topic = unique_name("payments");
    const auto group = unique_name("group");
    std::vector<int> bad_attempts;
    std::vector<std::string> handled;
    std::vector<message> dead;
    auto stop_when_done = [&] {
        if (!dead.empty() && !handled.empty()) f.bus->stop();
    };
    f.bus->subscribe(topic, group, [&](const message& m) -> asio::awaitable<void> {
        if (m.payload == "bad") {
            bad_attempts.push_back(m.delivery_attempt);
            fail();
        }
        handled.push_back(m.payload);
        stop_when_done();
        co_return;
    });
    f.bus->subscribe(dlq_topic(topic), unique_name("dlq-reader"),
                     [&](const message& m) -> asio::awaitable<void> {
                         dead.push_back(m);
                         stop_when_done();
                         co_return;
                     });
    message bad = make_message(topic, "app-7", "bad");
    const std::string bad_id(bad.header("message_id"));

    f.run([&]() -> asio::awaitable<void> {
        co_await f.bus->publish(std::move(bad));
        co_await f.bus->publish(make_message(topic, "app-7", "after"));
    });

    std::vector<int> expected_attempt_numbers;
    for (int i = 1; i <= expected_attempts; ++i) expected_attempt_numbers.push_back(i);
    CHECK(bad_attempts == expected_attempt_numbers);
    CHECK(handled == std::vector<std::string>{"after"});
    REQUIRE(dead.size() == 1);
    const message& d = dead.front();
    CHECK(d.topic == dlq_topic(topic));
    CHECK(d.key == "app-7");
    CHECK(d.payload == "bad");
    CHECK(d.header("message_id") == bad_id);
    CHECK_THAT(std::string(d.header("dlq_reason")), Catch::Contains(std::string(expected_reason)));
    CHECK(d.header("dlq_group") == group);
    CHECK(d.header("dlq_attempts") == std::to_string(expected_attempts));
}

}  // namespace

void exhausted_message_goes_to_the_dead_letter_topic(const bus_contract_env& env) {
    check_dead_lettering(
        env, 3, [] { throw std::runtime_error("boom: downstream refused"); }, 3, "boom: downstream refused");
}

void poison_message_is_dead_lettered_without_retries(const bus_contract_env& env) {
    check_dead_lettering(
        env, 5, [] { throw poison_message("missing field application_id"); }, 1,
        "missing field application_id");
}

void stop_lets_the_in_flight_handler_finish(const bus_contract_env& env) {
    fixture f(env);
    const auto topic = unique_name("stopping");
    int deliveries = 0;
    bool started = false;
    bool finished = false;
    bool finished_when_run_returned = false;
    int deliveries_when_run_returned = -1;
    boost::system::error_code handler_wait_error;
    f.bus->subscribe(topic, unique_name("group"), [&](const message&) -> asio::awaitable<void> {
        ++deliveries;
        started = true;
        asio::steady_timer t(co_await asio::this_coro::executor, 100ms);
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, handler_wait_error));
        finished = true;
    });

    bool healthy_before = false;
    bool healthy_after = true;
    f.run(
        [&]() -> asio::awaitable<void> {
            // One key: everything queues behind the first delivery.
            for (int i = 0; i < 10; ++i)
                co_await f.bus->publish(make_message(topic, "app-1", std::to_string(i)));
            while (!started) co_await sleep_for(1ms);
            healthy_before = f.bus->healthy();
            f.bus->stop();
            healthy_after = f.bus->healthy();
            // Keep the context alive a little so a delivery after stop() would be seen.
            co_await sleep_for(200ms);
        },
        [&] {
            finished_when_run_returned = finished;
            deliveries_when_run_returned = deliveries;
        });

    CHECK(healthy_before);
    CHECK_FALSE(healthy_after);
    CHECK(finished_when_run_returned);
    CHECK_FALSE(handler_wait_error);
    CHECK(deliveries_when_run_returned == 1);
    CHECK(deliveries == 1);
}

}  // namespace contract
}  // namespace prequal::bus::testing
