// Leased claims (issue 9): the publisher's claim commits before the events are published, so nothing is held
// in PostgreSQL (no transaction, snapshot or row lock) while the bus is waited for; another replica leaves
// leased events alone until the lease ends; events leased by a replica that died go out once it has ended,
// and an aggregate's later event never overtakes its earlier one.
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"

#include <prequal/bus/memory_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/outbox/publisher.hpp>
#include <prequal/pg/connection.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace pg = prequal::pg;
using asio::awaitable;
using prequal::test::pg_harness;
using prequal::test::run_coro;
using namespace std::chrono_literals;

namespace {

awaitable<std::unique_ptr<pg::connection>> connect(const std::string& conninfo) {
    co_return co_await pg::connection::connect(co_await asio::this_coro::executor, conninfo, 30s);
}

awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t{co_await asio::this_coro::executor, d};
    co_await t.async_wait(asio::use_awaitable);
}

awaitable<std::int64_t> count(pg::connection& c, const std::string& sql) {
    auto r = co_await c.execute({"", sql});
    co_return r.get_int(0, 0);
}

// Events of distinct `keys` (one row each, in this order) on topic `topic`, due now.
std::string insert_events(const std::string& topic, const std::vector<std::string>& keys) {
    std::string values;
    for (std::size_t i = 0; i < keys.size(); ++i)
        values += (i == 0 ? "" : ",") + std::string{"(gen_random_uuid(), '"} + keys[i] + "', '" + topic +
                  "', 'event-" + std::to_string(i) + "', 'payload')";
    return "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, payload) VALUES " +
           values;
}

}  // namespace

TEST_CASE("outbox: a claim commits before its events are published and another replica leaves them alone",
          "[outbox][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto admin = co_await connect(db);
        const std::vector<std::string> keys{"k1", "k2", "k3"};
        co_await admin->execute_script(insert_events("lease_test", keys));

        prequal::core::metrics_registry metrics;
        prequal::core::logger log{"test", prequal::core::log_level::error};
        // One partition holding one message and a consumer that is not running yet: the first publish is
        // accepted, the next ones wait, so the batch stays in the middle of publishing.
        prequal::bus::memory_bus_options bo;
        bo.partitions = 1;
        bo.partition_capacity = 1;
        auto bus = prequal::bus::make_memory_bus(ex, bo, log, metrics);
        int handled = 0;
        bus->subscribe("lease_test", "group", [&](const prequal::bus::message&) -> awaitable<void> {
            ++handled;
            co_return;
        });
        pg::pool_options po;
        po.conninfo = db;
        po.size = 2;
        pg::pool pool{ex, po};
        prequal::outbox::publisher replica_a{ex, pool, *bus, {}, log, metrics};
        prequal::outbox::publisher replica_b{ex, pool, *bus, {}, log, metrics};

        std::optional<std::size_t> published_by_a;
        asio::co_spawn(
            ex, [&]() -> awaitable<void> { published_by_a = co_await replica_a.publish_batch(); },
            asio::detached);
        for (int i = 0; i < 500; ++i) {
            const auto claimed =
                co_await count(*admin, "SELECT count(*) FROM outbox_events WHERE claimed_until > now()");
            if (claimed == 3) break;
            co_await sleep_for(10ms);
        }
        co_await sleep_for(100ms);
        REQUIRE_FALSE(published_by_a.has_value());  // still waiting for the bus

        // The claim is committed: its leases are visible to everyone, no backend is idle in a transaction and
        // no row is locked.
        const auto leased =
            co_await count(*admin, "SELECT count(*) FROM outbox_events WHERE claimed_until > now()");
        CHECK(leased == 3);
        const auto idle_in_transaction = co_await count(
            *admin, "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'");
        CHECK(idle_in_transaction == 0);
        const auto lockable =
            co_await count(*admin, "SELECT count(*) FROM (SELECT 1 FROM outbox_events FOR UPDATE NOWAIT) s");
        CHECK(lockable == 3);
        // Another replica's claim (a sweep from the head: its first) skips the leased events.
        const std::size_t published_by_b = co_await replica_b.publish_batch();
        CHECK(published_by_b == 0);

        asio::co_spawn(ex, bus->run(), asio::detached);
        for (int i = 0; i < 500 && !published_by_a; ++i) co_await sleep_for(10ms);
        CHECK(published_by_a == std::optional<std::size_t>{3});
        const auto settled = co_await count(
            *admin,
            "SELECT count(*) FROM outbox_events WHERE published_at IS NOT NULL AND claimed_until IS NULL");
        CHECK(settled == 3);
        for (int i = 0; i < 500 && handled < 3; ++i) co_await sleep_for(10ms);
        CHECK(handled == 3);
        pool.close();
        bus->stop();
    });
}

TEST_CASE("outbox: events leased by a replica that died go out when the lease ends, in aggregate order",
          "[outbox][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto admin = co_await connect(db);
        // Aggregate "a" has two events (event-0, then event-1); "b" one.
        const std::vector<std::string> keys{"a", "a", "b"};
        co_await admin->execute_script(insert_events("lease_order", keys));
        // A replica claimed a's first event and died: its lease runs for another hour.
        co_await admin->execute_script(
            "UPDATE outbox_events SET claimed_until = now() + interval '1 hour' WHERE event_type = "
            "'event-0'");

        prequal::core::metrics_registry metrics;
        prequal::core::logger log{"test", prequal::core::log_level::error};
        auto bus = prequal::bus::make_memory_bus(ex, {}, log, metrics);
        std::vector<std::string> received;  // event types in delivery order
        bus->subscribe("lease_order", "group", [&](const prequal::bus::message& m) -> awaitable<void> {
            for (const auto& [name, value] : m.headers)
                if (name == "event_type") received.push_back(value);
            co_return;
        });
        asio::co_spawn(ex, bus->run(), asio::detached);
        pg::pool_options po;
        po.conninfo = db;
        po.size = 2;
        pg::pool pool{ex, po};
        prequal::outbox::publisher publisher{ex, pool, *bus, {}, log, metrics};

        // Only b's event: a's first is leased, a's second waits behind it.
        const std::size_t while_leased = co_await publisher.publish_batch();
        CHECK(while_leased == 1);
        const std::size_t again = co_await publisher.publish_batch();
        CHECK(again == 0);

        co_await admin->execute_script(
            "UPDATE outbox_events SET claimed_until = now() - interval '1 second' WHERE event_type = "
            "'event-0'");
        const std::size_t after_expiry = co_await publisher.publish_batch();
        CHECK(after_expiry == 1);  // a's first; its second only once the first is marked published
        const std::size_t last = co_await publisher.publish_batch();
        CHECK(last == 1);
        const auto unpublished =
            co_await count(*admin, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL");
        CHECK(unpublished == 0);

        for (int i = 0; i < 500 && received.size() < 3; ++i) co_await sleep_for(10ms);
        REQUIRE(received.size() == 3);
        CHECK(received == std::vector<std::string>{"event-2", "event-0", "event-1"});
        pool.close();
        bus->stop();
    });
}
