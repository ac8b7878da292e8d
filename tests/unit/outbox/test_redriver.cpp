// The outbox re-driver against a real PostgreSQL and a test-owned aggregate (orders_owner.hpp): a stuck
// aggregate's whole history is made live again, a finished or young one's is not, the per-aggregate backoff
// and its cap hold, the batch bounds a pass, the gauges are refreshed and run() honours both periods.
#include "orders_owner.hpp"
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/outbox/redriver.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace outbox = prequal::outbox;
namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::test::connect_to;
using prequal::test::count_of;
using prequal::test::orders_owner;
using prequal::test::run_coro;
using namespace std::chrono_literals;

namespace {

// An order created `age` ago, done or not, with `events` published events (the first one `dead` instead).
std::string order_sql(const std::string& id, const std::string& age, bool done, int events,
                      bool dead = false) {
    std::string sql = "INSERT INTO test_orders (id, done, created_at) VALUES ('" + id + "', " +
                      (done ? "true" : "false") + ", now() - interval '" + age + "');";
    for (int i = 0; i < events; ++i) {
        const bool this_dead = dead && i == 0;
        sql +=
            "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, payload, "
            "published_at, attempts, dead, last_error, next_attempt_at) VALUES (gen_random_uuid(), '" +
            id + "', 'orders', 'order_event', '{}', " +
            (this_dead ? "NULL, 10, true, 'broker down'" : "now() - interval '" + age + "', 1, false, NULL") +
            ", now() - interval '" + age + "');";
    }
    return sql;
}

std::string live_unpublished(const std::string& id) {
    return "SELECT count(*) FROM outbox_events WHERE aggregate_key = '" + id +
           "' AND published_at IS NULL AND NOT dead AND attempts = 0 AND last_error IS NULL"
           " AND next_attempt_at > now() - interval '1 minute'";
}

struct redriver_env {
    std::string conninfo = prequal::test::pg_harness::instance().fresh_database();
    prequal::core::metrics_registry metrics;
    prequal::core::logger log{"test", prequal::core::log_level::error};
    std::shared_ptr<int> observed = std::make_shared<int>(0);
    int wakes = 0;
};

outbox::redriver_options minute_options() {
    outbox::redriver_options o;
    o.stuck_after = 1min;
    o.max_pause = 1h;
    o.batch_size = 500;
    return o;
}

}  // namespace

TEST_CASE("outbox redriver: re-publishes a stuck aggregate's whole history, not a finished or young one's",
          "[outbox][pg]") {
    redriver_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(prequal::test::orders_schema);
        co_await db->execute_script(order_sql("stuck", "1 hour", false, 2, true) +
                                    order_sql("finished", "1 hour", true, 2) +
                                    order_sql("young", "10 seconds", false, 1));
        pg::pool_options po;
        po.conninfo = env.conninfo;
        po.size = 2;
        pg::pool pool{ex, po};
        outbox::redriver redriver{
            ex,      pool,       orders_owner(env.observed), minute_options(), [&] { ++env.wakes; },
            env.log, env.metrics};

        const std::int64_t redriven = co_await redriver.redrive_once();
        CHECK(redriven == 1);
        CHECK(env.wakes == 1);
        CHECK(env.metrics.get_counter("outbox_redriven_total", "").value() == 1);
        // Both events of the stuck order are live and due again, the dead one included; nothing else moved.
        const std::int64_t live = co_await count_of(*db, live_unpublished("stuck"));
        CHECK(live == 2);
        const std::int64_t dead = co_await count_of(*db, "SELECT count(*) FROM outbox_events WHERE dead");
        CHECK(dead == 0);
        const std::int64_t others = co_await count_of(
            *db,
            "SELECT count(*) FROM outbox_events WHERE aggregate_key <> 'stuck' AND published_at IS NULL");
        CHECK(others == 0);
        const std::int64_t count =
            co_await count_of(*db, "SELECT redrive_count FROM test_orders WHERE id = 'stuck'");
        CHECK(count == 1);

        // While its events wait for the publisher, it is not stuck: nothing to do, no wake-up.
        const std::int64_t again = co_await redriver.redrive_once();
        CHECK(again == 0);
        CHECK(env.wakes == 1);
        pool.close();
    });
}

TEST_CASE(
    "outbox redriver: an aggregate is re-driven again only after its doubled backoff, capped at max_pause",
    "[outbox][pg]") {
    redriver_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(prequal::test::orders_schema);
        co_await db->execute_script(order_sql("stuck", "1 hour", false, 1));
        pg::pool_options po;
        po.conninfo = env.conninfo;
        po.size = 2;
        pg::pool pool{ex, po};
        outbox::redriver redriver{ex, pool, orders_owner(), minute_options(), {}, env.log, env.metrics};
        // The publisher forwarded the events again, and the order is still unfinished.
        const std::string publish_all = "UPDATE outbox_events SET published_at = now()";
        const auto redriven_after = [&](const std::string& since, int count) -> awaitable<std::int64_t> {
            co_await db->execute_script(publish_all +
                                        "; UPDATE test_orders SET last_redriven_at = now() - interval '" +
                                        since + "', redrive_count = " + std::to_string(count));
            co_return co_await redriver.redrive_once();
        };

        const std::int64_t first = co_await redriver.redrive_once();
        CHECK(first == 1);
        // Re-driven once: the next one after stuck_after × 2 = 2 min, not after stuck_after.
        const std::int64_t at_once = co_await redriven_after("0 seconds", 1);
        CHECK(at_once == 0);
        const std::int64_t at_90s = co_await redriven_after("90 seconds", 1);
        CHECK(at_90s == 0);
        const std::int64_t at_121s = co_await redriven_after("121 seconds", 1);
        CHECK(at_121s == 1);
        const std::int64_t count = co_await count_of(*db, "SELECT redrive_count FROM test_orders");
        CHECK(count == 2);
        // Re-driven 20 times: 2^20 min would be years; the pause stops at max_pause (1 h).
        const std::int64_t at_59min = co_await redriven_after("59 minutes", 20);
        CHECK(at_59min == 0);
        const std::int64_t at_61min = co_await redriven_after("61 minutes", 20);
        CHECK(at_61min == 1);
        pool.close();
    });
}

TEST_CASE("outbox redriver: one pass re-drives at most batch_size aggregates, oldest first", "[outbox][pg]") {
    redriver_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(prequal::test::orders_schema);
        co_await db->execute_script(order_sql("a", "3 hours", false, 1) +
                                    order_sql("b", "2 hours", false, 1) + order_sql("c", "1 hour", false, 1));
        pg::pool_options po;
        po.conninfo = env.conninfo;
        po.size = 2;
        pg::pool pool{ex, po};
        auto options = minute_options();
        options.batch_size = 2;
        outbox::redriver redriver{ex, pool, orders_owner(), options, {}, env.log, env.metrics};
        const std::int64_t first = co_await redriver.redrive_once();
        CHECK(first == 2);
        const std::int64_t oldest = co_await count_of(
            *db,
            "SELECT count(*) FROM outbox_events WHERE published_at IS NULL AND aggregate_key IN ('a', 'b')");
        CHECK(oldest == 2);
        const std::int64_t second = co_await redriver.redrive_once();
        CHECK(second == 1);
        const std::int64_t all =
            co_await count_of(*db, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL");
        CHECK(all == 3);
        pool.close();
    });
}

TEST_CASE("outbox redriver: observe_backlog sets the outbox gauges and calls the owner's", "[outbox][pg]") {
    redriver_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(prequal::test::orders_schema);
        co_await db->execute_script(
            order_sql("waiting", "1 second", false, 0) +
            "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, payload) VALUES"
            " (gen_random_uuid(), 'waiting', 'orders', 'e', '{}'), (gen_random_uuid(), 'waiting', 'orders', "
            "'e', '{}');" +
            order_sql("dead", "1 second", false, 1, true) +
            "INSERT INTO dead_letters (topic, message_key, payload) VALUES ('orders', 'x', '{}'), ('orders', "
            "'y', '{}'), ('orders', 'z', '{}');");
        pg::pool_options po;
        po.conninfo = env.conninfo;
        po.size = 2;
        pg::pool pool{ex, po};
        outbox::redriver redriver{ex,      pool,       orders_owner(env.observed), minute_options(), {},
                                  env.log, env.metrics};
        co_await redriver.observe_backlog();
        CHECK(*env.observed == 1);
        CHECK(env.metrics.get_gauge("outbox_events_unpublished", "").value() == 2);
        CHECK(env.metrics.get_gauge("outbox_events_dead", "").value() == 1);
        CHECK(env.metrics.get_gauge("dead_letters_unreplayed", "").value() == 3);
        pool.close();
    });
}

namespace {

// Runs `redriver` while `check` runs beside it; `check` ends with redriver.stop(), which must end run().
awaitable<void> run_beside(outbox::redriver& redriver, std::function<awaitable<void>()> check) {
    using namespace boost::asio::experimental::awaitable_operators;
    co_await (redriver.run() && check());
}

// Waits (polling every 10 ms, at most 10 s) until `done()`.
awaitable<bool> eventually(const std::function<bool()>& done) {
    boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor};
    for (int i = 0; i < 1000 && !done(); ++i) {
        timer.expires_after(10ms);
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
    co_return done();
}

awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor, d};
    co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace

TEST_CASE(
    "outbox redriver: run() refreshes the owner's backlog at once, then every backlog_interval, until "
    "stop()",
    "[outbox][pg]") {
    redriver_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(prequal::test::orders_schema);
        pg::pool_options po;
        po.conninfo = env.conninfo;
        po.size = 2;
        pg::pool pool{ex, po};
        auto options = minute_options();
        options.interval = 1h;  // no re-drive pass during the test: only the owner's loop runs

        // A long period: the first refresh comes at once, the next not before the period.
        options.backlog_interval = 1h;
        outbox::redriver slow{ex, pool, orders_owner(env.observed), options, {}, env.log, env.metrics};
        co_await run_beside(slow, [&]() -> awaitable<void> {
            const bool first = co_await eventually([&] { return *env.observed >= 1; });
            CHECK(first);
            co_await sleep_for(200ms);
            CHECK(*env.observed == 1);
            slow.stop();
        });

        // A short period: refreshed again and again; nothing after stop().
        *env.observed = 0;
        options.backlog_interval = 20ms;
        outbox::redriver fast{ex, pool, orders_owner(env.observed), options, {}, env.log, env.metrics};
        co_await run_beside(fast, [&]() -> awaitable<void> {
            const bool repeated = co_await eventually([&] { return *env.observed >= 5; });
            CHECK(repeated);
            fast.stop();
        });
        const int after_stop = *env.observed;
        co_await sleep_for(100ms);
        CHECK(*env.observed == after_stop);
        pool.close();
    });
}
