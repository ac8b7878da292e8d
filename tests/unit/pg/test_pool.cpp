// pg::pool: the size bound under contention, acquire timeouts, discarding broken or dirty connections,
// recovery after backends die or the server restarts, close().
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/pg/error.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <catch2/catch.hpp>

#include <set>

namespace pg = prequal::pg;
namespace asio = boost::asio;
using prequal::test::connect_to;
using prequal::test::pg_harness;
using prequal::test::run_coro;
using prequal::test::sleep_for;
using namespace std::chrono_literals;
using boost::asio::awaitable;

namespace {

pg::pool_options options_for(const std::string& conninfo, std::size_t size) {
    pg::pool_options o;
    o.conninfo = conninfo;
    o.size = size;
    return o;
}

awaitable<pg::error> acquire_error(pg::pool& p) {
    try {
        co_await p.acquire();
    } catch (const pg::error& e) {
        co_return e;
    }
    FAIL("acquire() should have failed");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("unit: pg pool never opens more connections than its size", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool p(ex, options_for(db, 3));
        int leased = 0;
        int max_leased = 0;
        int finished = 0;
        std::set<std::string> backends;
        auto user = [&](int i) -> awaitable<void> {
            auto c = co_await p.acquire();
            max_leased = std::max(max_leased, ++leased);
            auto r = co_await c->execute({"", "SELECT pg_backend_pid()::text, pg_sleep(0.05)"});
            backends.insert(std::string(r.get(0, 0)));
            --leased;
            ++finished;
        };
        for (int i = 0; i < 10; ++i) asio::co_spawn(ex, user(i), asio::detached);
        while (finished < 10) co_await sleep_for(10ms);
        // Only the bound is asserted: how many of the 3 were in use at once depends on machine load.
        CHECK(max_leased <= 3);
        CHECK(backends.size() <= 3);
        CHECK(p.size() <= 3);
        CHECK(p.idle() == p.size());
    });
}

TEST_CASE("unit: pg pool acquire times out while every connection is leased", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto o = options_for(db, 1);
        o.acquire_timeout = 200ms;
        pg::pool p(co_await asio::this_coro::executor, o);
        auto held = co_await p.acquire();
        auto e = co_await acquire_error(p);
        CHECK(e.code() == pg::make_error_code(pg::errc::timeout));
        CHECK(p.size() == 1);
    });
}

TEST_CASE("unit: pg pool hands a returned connection to a waiter", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool p(ex, options_for(db, 1));
        auto held = std::make_unique<pg::pooled_connection>(co_await p.acquire());
        const int pid = (*held)->backend_pid();
        int waiter_pid = 0;
        asio::co_spawn(
            ex,
            [&]() -> awaitable<void> {
                auto c = co_await p.acquire();
                waiter_pid = c->backend_pid();
            },
            asio::detached);
        co_await sleep_for(50ms);
        CHECK(waiter_pid == 0);
        held.reset();
        while (waiter_pid == 0) co_await sleep_for(10ms);
        CHECK(waiter_pid == pid);
    });
}

TEST_CASE("unit: pg pool discards a broken connection and connects a new one", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        pg::pool p(co_await asio::this_coro::executor, options_for(db, 1));
        int first_pid = 0;
        {
            auto c = co_await p.acquire();
            first_pid = c->backend_pid();
            c->set_operation_timeout(100ms);
            CHECK_THROWS_AS(co_await c->execute({"", "SELECT pg_sleep(3)"}), pg::error);
            CHECK(c->broken());
        }
        CHECK(p.size() == 0);
        auto c = co_await p.acquire();
        CHECK(c->backend_pid() != first_pid);
        CHECK((co_await c->execute({"", "SELECT 1"})).get_int(0, 0) == 1);
        CHECK(p.size() == 1);
    });
}

TEST_CASE("unit: pg pool discards a connection returned inside a transaction", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        pg::pool p(co_await asio::this_coro::executor, options_for(db, 2));
        co_await p.execute({"", "CREATE TABLE t (x int)"});
        int dirty_pid = 0;
        {
            auto c = co_await p.acquire();
            dirty_pid = c->backend_pid();
            co_await c->execute_script("BEGIN; INSERT INTO t VALUES (1)");
        }
        CHECK(p.idle() == 0);
        auto c = co_await p.acquire();
        CHECK(c->backend_pid() != dirty_pid);
        CHECK((co_await c->execute({"", "SELECT count(*) FROM t"})).get_int(0, 0) == 0);
    });
}

TEST_CASE("unit: pg pool recovers after a leased connection's backend is terminated", "[unit][pg]") {
    auto& h = pg_harness::instance();
    const std::string db = h.empty_database();
    run_coro([&]() -> awaitable<void> {
        auto admin = co_await connect_to(h.admin_conninfo());
        pg::pool p(co_await asio::this_coro::executor, options_for(db, 1));
        int old_pid = 0;
        {
            auto c = co_await p.acquire();
            old_pid = c->backend_pid();
            co_await prequal::test::terminate_backend(*admin, old_pid);
            std::optional<pg::error> failure;
            try {
                co_await c->execute({"", "SELECT 1"});
            } catch (const pg::error& e) {
                failure = e;
            }
            REQUIRE(failure.has_value());
            CHECK(failure->is_connection_error());
        }
        auto r = co_await p.execute({"", "SELECT pg_backend_pid()"});
        CHECK(r.get_int(0, 0) != old_pid);
        CHECK(p.size() == 1);
    });
}

TEST_CASE("unit: pg pool replaces an idle connection whose backend died", "[unit][pg]") {
    auto& h = pg_harness::instance();
    const std::string db = h.empty_database();
    run_coro([&]() -> awaitable<void> {
        auto admin = co_await connect_to(h.admin_conninfo());
        pg::pool p(co_await asio::this_coro::executor, options_for(db, 1));
        auto before = co_await p.execute({"", "SELECT pg_backend_pid()"});
        REQUIRE(p.idle() == 1);
        co_await prequal::test::terminate_backend(*admin, static_cast<int>(before.get_int(0, 0)));
        // No error reaches the caller: acquire() notices the dead idle connection and connects anew.
        auto after = co_await p.execute({"", "SELECT pg_backend_pid()"});
        CHECK(after.get_int(0, 0) != before.get_int(0, 0));
    });
}

TEST_CASE("unit: pg pool reconnects after the server restarts", "[unit][pg][slow]") {
    auto& h = pg_harness::instance();
    const std::string db = h.empty_database();
    run_coro([&]() -> awaitable<void> {
        pg::pool p(co_await asio::this_coro::executor, options_for(db, 2));
        CHECK((co_await p.execute({"", "SELECT 41 + 1"})).get_int(0, 0) == 42);
        REQUIRE(p.idle() == 1);
        // Blocking here is fine: nothing else runs on this test's context meanwhile.
        h.cluster().stop();
        h.cluster().start();
        CHECK((co_await p.execute({"", "SELECT 41 + 1"})).get_int(0, 0) == 42);
    });
}

TEST_CASE("unit: pg pool close fails waiters and later acquires", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        pg::pool p(ex, options_for(db, 1));
        auto held = std::make_unique<pg::pooled_connection>(co_await p.acquire());
        std::optional<pg::error> waiter_error;
        asio::co_spawn(
            ex, [&]() -> awaitable<void> { waiter_error = co_await acquire_error(p); }, asio::detached);
        co_await sleep_for(50ms);
        p.close();
        while (!waiter_error) co_await sleep_for(10ms);
        CHECK(waiter_error->code() == pg::make_error_code(pg::errc::pool_closed));
        CHECK((co_await acquire_error(p)).code() == pg::make_error_code(pg::errc::pool_closed));
        held.reset();
        CHECK(p.size() == 0);
    });
}

TEST_CASE("unit: pg pooled connection may outlive its pool", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto p = std::make_unique<pg::pool>(co_await asio::this_coro::executor, options_for(db, 1));
        auto c = co_await p->acquire();
        p.reset();
        CHECK((co_await c->execute({"", "SELECT 5"})).get_int(0, 0) == 5);
    });
}
