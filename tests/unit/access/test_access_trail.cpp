// The access trail against a real PostgreSQL: one multi-row INSERT per flush, the bound (drops counted), the
// flush loop (interval, threshold, the last flush on stop), a database outage (entries kept within the bound,
// written once it is back), a batch the database refuses (dropped, the trail goes on) and its retention job.
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"
#include "unit/outbox/orders_owner.hpp"

#include <prequal/access/access_trail.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/outbox/retention.hpp>
#include <prequal/pg/error.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::test::connect_to;
using prequal::test::count_of;
using prequal::test::run_coro;
using namespace std::chrono_literals;

namespace {

constexpr const char* app_a = "0b6f3f0e-8a1e-4c4f-9d43-3f1b2f6a0001";
constexpr const char* app_b = "0b6f3f0e-8a1e-4c4f-9d43-3f1b2f6a0002";

struct trail_env {
    std::string conninfo = prequal::test::pg_harness::instance().fresh_database();
    prequal::core::metrics_registry metrics;
    prequal::core::logger log{"test", prequal::core::log_level::error};

    std::uint64_t counter(const std::string& name) { return metrics.get_counter(name, "").value(); }
};

pg::pool_options pool_options(const std::string& conninfo) {
    pg::pool_options po;
    po.conninfo = conninfo;
    po.size = 2;
    po.operation_timeout = 3s;
    po.connect_timeout = 1s;
    return po;
}

awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t{co_await asio::this_coro::executor, d};
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

TEST_CASE(
    "unit: access trail: one INSERT writes every buffered read with its client and application and route",
    "[access][pg]") {
    trail_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool pool{ex, pool_options(env.conninfo)};
        prequal::access::access_trail trail{ex, pool, {}, env.log, env.metrics};
        // A client name with every character an array literal treats specially stays what it was.
        const std::string odd_client = R"(a,b "c" {d} \e NULL)";
        trail.record("client-1", app_a, "status", "req-1");
        trail.record(odd_client, app_b, "decisions", "req-2");
        trail.record("client-1", app_b, "status_wait", "");
        CHECK(trail.buffered() == 3);
        const std::size_t written = co_await trail.flush();
        CHECK(written == 3);
        CHECK(trail.buffered() == 0);
        const std::size_t nothing = co_await trail.flush();  // nothing waiting: no statement
        CHECK(nothing == 0);

        auto db = co_await connect_to(env.conninfo);
        const auto rows = co_await db->execute(
            {"",
             "SELECT client, application_id::text, kind, request_id, "
             "(abs(extract(epoch FROM now() - read_at)) < 60)::text FROM access_trail "
             "ORDER BY read_at, array_position(ARRAY['req-1', 'req-2', ''], request_id)"});
        REQUIRE(rows.rows() == 3);
        CHECK(rows.get(0, 0) == "client-1");
        CHECK(rows.get(0, 1) == app_a);
        CHECK(rows.get(0, 2) == "status");
        CHECK(rows.get(0, 3) == "req-1");
        CHECK(rows.get(0, 4) == "true");
        CHECK(rows.get(1, 0) == odd_client);
        CHECK(rows.get(1, 1) == app_b);
        CHECK(rows.get(1, 2) == "decisions");
        CHECK(rows.get(2, 2) == "status_wait");
        CHECK(env.counter("access_trail_flushes_total") == 1);
        CHECK(env.counter("access_trail_entries_written_total") == 3);
        CHECK(env.counter("access_trail_dropped_total") == 0);
        pool.close();
    });
}

TEST_CASE("unit: access trail: over the bound a read's entry is dropped and counted and never queued",
          "[access][pg]") {
    trail_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool pool{ex, pool_options(env.conninfo)};
        prequal::access::access_trail_options o;
        o.capacity = 5;
        prequal::access::access_trail trail{ex, pool, o, env.log, env.metrics};
        for (int i = 0; i < 8; ++i) trail.record("c", app_a, "status", "r" + std::to_string(i));
        CHECK(trail.buffered() == 5);
        CHECK(env.counter("access_trail_dropped_total") == 3);
        const std::size_t written = co_await trail.flush();
        CHECK(written == 5);
        auto db = co_await connect_to(env.conninfo);
        // The first five were kept: the newest are the ones dropped.
        const std::int64_t kept = co_await count_of(
            *db, "SELECT count(*) FROM access_trail WHERE request_id IN ('r0','r1','r2','r3','r4')");
        CHECK(kept == 5);
        // Room again once written.
        trail.record("c", app_a, "status", "r8");
        CHECK(trail.buffered() == 1);
        CHECK(env.counter("access_trail_dropped_total") == 3);
        pool.close();
    });
}

TEST_CASE("unit: access trail: run() flushes at the threshold at once and once more on stop",
          "[access][pg]") {
    trail_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool pool{ex, pool_options(env.conninfo)};
        auto db = co_await connect_to(env.conninfo);
        prequal::access::access_trail_options o;
        o.flush_interval = 1h;  // only the threshold and stop() can flush within this test
        o.flush_threshold = 4;
        prequal::access::access_trail trail{ex, pool, o, env.log, env.metrics};
        auto done = std::make_shared<bool>(false);
        asio::co_spawn(ex, trail.run(), [done](std::exception_ptr) { *done = true; });

        for (int i = 0; i < 3; ++i) trail.record("c", app_a, "status", "below");
        co_await sleep_for(300ms);
        const std::int64_t below = co_await count_of(*db, "SELECT count(*) FROM access_trail");
        CHECK(below == 0);  // under the threshold, within the interval: nothing written yet

        trail.record("c", app_a, "status", "threshold");  // the fourth: flushed at once
        for (int i = 0; i < 50 && trail.buffered() > 0; ++i) co_await sleep_for(20ms);
        const std::int64_t at_threshold = co_await count_of(*db, "SELECT count(*) FROM access_trail");
        CHECK(at_threshold == 4);
        CHECK(env.counter("access_trail_flushes_total") == 1);

        trail.record("c", app_b, "status", "last-1");
        trail.record("c", app_b, "status", "last-2");
        trail.stop();  // shutdown: the remainder is written before run() returns
        for (int i = 0; i < 250 && !*done; ++i) co_await sleep_for(20ms);
        CHECK(*done);
        const std::int64_t after_stop = co_await count_of(*db, "SELECT count(*) FROM access_trail");
        CHECK(after_stop == 6);
        CHECK(env.counter("access_trail_flushes_total") == 2);
        // Recorded after the last flush: cannot be written any more, so counted as dropped.
        trail.record("c", app_b, "status", "too-late");
        CHECK(env.counter("access_trail_dropped_total") == 1);
        pool.close();
    });
}

TEST_CASE(
    "unit: access trail: a database outage keeps the entries within the bound and writes them once it is "
    "back",
    "[access][pg]") {
    trail_env env;
    auto& cluster = prequal::test::pg_harness::instance().cluster();
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool pool{ex, pool_options(env.conninfo)};
        prequal::access::access_trail_options o;
        o.capacity = 5;
        prequal::access::access_trail trail{ex, pool, o, env.log, env.metrics};
        trail.record("c", app_a, "status", "r0");
        trail.record("c", app_a, "status", "r1");
        trail.record("c", app_a, "status", "r2");

        cluster.stop();  // blocks this test's only thread for a moment: nothing else runs here
        bool unavailable = false;
        try {
            co_await trail.flush();
        } catch (const pg::error& e) {
            unavailable = e.is_unavailable();
        }
        CHECK(unavailable);
        CHECK(trail.buffered() == 3);  // kept for the next flush
        CHECK(env.counter("access_trail_flush_failures_total") == 1);
        // Reads go on being recorded, up to the bound; beyond it they are dropped, not queued.
        for (int i = 3; i < 7; ++i) trail.record("c", app_b, "status", "r" + std::to_string(i));
        CHECK(trail.buffered() == 5);
        CHECK(env.counter("access_trail_dropped_total") == 2);
        cluster.start();

        // The pool's circuit breaker may fail the first attempts fast after the restart: retry like run().
        std::size_t written = 0;
        for (int i = 0; i < 100 && written == 0; ++i) {
            bool failed = false;
            try {
                written = co_await trail.flush();
            } catch (const pg::error&) {
                failed = true;
            }
            if (failed) co_await sleep_for(100ms);
        }
        CHECK(written == 5);
        auto db = co_await connect_to(env.conninfo);
        const auto rows = co_await db->execute(
            {"", "SELECT string_agg(request_id, ',' ORDER BY read_at, request_id) FROM access_trail"});
        CHECK(rows.get(0, 0) == "r0,r1,r2,r3,r4");  // in read order, the failed batch first
        pool.close();
    });
}

TEST_CASE(
    "unit: access trail: a batch the database refuses is dropped and counted and later reads are written",
    "[access][pg]") {
    trail_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool pool{ex, pool_options(env.conninfo)};
        prequal::access::access_trail trail{ex, pool, {}, env.log, env.metrics};
        trail.record("c", "not-a-uuid", "status", "bad");  // callers check ids; this one slipped through
        trail.record("c", app_a, "status", "same-batch");
        bool refused = false;
        try {
            co_await trail.flush();
        } catch (const pg::error& e) {
            refused = !e.is_unavailable();
        }
        CHECK(refused);
        CHECK(trail.buffered() == 0);  // not retried for ever: it could never succeed
        CHECK(env.counter("access_trail_dropped_total") == 2);
        trail.record("c", app_a, "status", "next");
        const std::size_t written = co_await trail.flush();
        CHECK(written == 1);
        pool.close();
    });
}

TEST_CASE("unit: access trail: the retention job deletes entries older than its age in batches",
          "[access][pg]") {
    trail_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(
            std::string{
                "INSERT INTO access_trail (read_at, client, application_id, kind, request_id) VALUES "} +
            "(now() - interval '3 days', 'c', '" + app_a + "', 'status', 'old-1'), " +
            "(now() - interval '2 days', 'c', '" + app_a + "', 'status', 'old-2'), " +
            "(now() - interval '2 days', 'c', '" + app_b + "', 'decisions', 'old-3'), " +
            "(now() - interval '1 hour', 'c', '" + app_a + "', 'status', 'recent')");
        pg::pool pool{ex, pool_options(env.conninfo)};
        prequal::outbox::retention_options options;
        options.batch_size = 1;  // several batches
        std::vector<prequal::outbox::retention_job> jobs{
            {"access_trail", std::string{prequal::access::access_trail_retention_lock},
             std::string{prequal::access::access_trail_retention_sql}, std::chrono::hours{24}}};
        const auto owner = prequal::test::orders_owner();
        co_await db->execute_script(prequal::test::orders_schema);
        prequal::outbox::retention retention{ex, pool, owner, std::move(jobs), options, env.log, env.metrics};
        const auto results = co_await retention.run_once();
        std::int64_t deleted = -1;
        for (const auto& r : results)
            if (r.job == "access_trail") deleted = r.rows;
        CHECK(deleted == 3);
        const auto left = co_await db->execute({"", "SELECT string_agg(request_id, ',') FROM access_trail"});
        CHECK(left.get(0, 0) == "recent");
        pool.close();
    });
}
