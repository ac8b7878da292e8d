// pg::connection against a real server: parameters, NULLs, prepared statements, errors, timeouts,
// terminated backends and LISTEN/NOTIFY.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/pg/error.hpp>

#include <catch2/catch.hpp>

namespace pg = prequal::pg;
using prequal::test::connect_to;
using prequal::test::pg_harness;
using prequal::test::run_coro;
using namespace std::chrono_literals;
using boost::asio::awaitable;

namespace {

// Runs `body` and returns the pg::error it throws (failing the test if it throws nothing else).
template <class Body>
awaitable<pg::error> expect_pg_error(Body body) {
    try {
        co_await body();
    } catch (const pg::error& e) {
        co_return e;
    }
    FAIL("expected a pg::error");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("unit: pg connection runs statements with text parameters and NULLs", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await conn->execute_script("CREATE TABLE t (id int PRIMARY KEY, name text, amount numeric(12,2))");
        pg::params row1{"1", "alice", "10.50"};
        auto ins = co_await conn->execute({"", "INSERT INTO t VALUES ($1, $2, $3)"}, row1);
        CHECK(ins.affected_rows() == 1);
        pg::params row2{"2", std::nullopt, std::nullopt};
        co_await conn->execute({"", "INSERT INTO t VALUES ($1, $2, $3)"}, row2);

        auto r = co_await conn->execute({"", "SELECT id, name, amount FROM t ORDER BY id"});
        REQUIRE(r.rows() == 2);
        REQUIRE(r.columns() == 3);
        CHECK(r.get_int(0, 0) == 1);
        CHECK(r.get(0, 1) == "alice");
        CHECK(r.get(0, 2) == "10.50");  // numerics stay exact decimal text
        CHECK(r.is_null(1, 1));
        CHECK_FALSE(r.get_optional(1, 2).has_value());
        CHECK(r.get_optional(0, 1) == std::optional<std::string>("alice"));
        CHECK(r.column_index("amount") == 2);
        CHECK(r.column_index("missing") == -1);
        CHECK_THROWS_AS(r.get_int(0, 1), std::invalid_argument);

        // Parameter lists are locals: g++ 12 rejects a braced list inside a co_await expression.
        pg::params null_arg{std::nullopt};
        auto b = co_await conn->execute({"", "SELECT $1::int IS NULL, 2 > 1"}, null_arg);
        CHECK(b.get_bool(0, 0));
        CHECK(b.get_bool(0, 1));
        CHECK_FALSE(conn->in_transaction());
    });
}

TEST_CASE("unit: pg connection accepts a postgresql URI", "[unit][pg]") {
    auto& h = pg_harness::instance();
    const std::string socket_dir = (h.cluster().dir() / "run").string();
    std::string encoded;
    for (char c : socket_dir) encoded += c == '/' ? std::string("%2F") : std::string(1, c);
    const std::string uri = "postgresql://prequal@/postgres?host=" + encoded + "&port=5432";
    const auto who = run_coro([&]() -> awaitable<std::string> {
        auto conn = co_await connect_to(uri);
        auto r = co_await conn->execute({"", "SELECT current_user"});
        co_return std::string(r.get(0, 0));
    });
    CHECK(who == "prequal");
}

TEST_CASE("unit: pg connection prepares a named statement once and reuses it", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        constexpr pg::statement add{"add_numbers", "SELECT $1::int + $2::int"};
        pg::params one_two{"1", "2"};
        pg::params forty_two{"40", "2"};
        pg::params two_two{"2", "2"};
        pg::params name{"add_numbers"};
        auto first = co_await conn->execute(add, one_two);
        auto second = co_await conn->execute(add, forty_two);
        CHECK(first.get_int(0, 0) == 3);
        CHECK(second.get_int(0, 0) == 42);
        auto prepared =
            co_await conn->execute({"", "SELECT count(*) FROM pg_prepared_statements WHERE name = $1"}, name);
        CHECK(prepared.get_int(0, 0) == 1);

        // A named statement that fails to prepare reports the error and is retried on next use.
        constexpr pg::statement bad{"bad_stmt", "SELEC 1"};
        auto e = co_await expect_pg_error([&]() -> awaitable<void> { co_await conn->execute(bad); });
        CHECK(e.sqlstate() == "42601");
        CHECK(e.code() == pg::make_error_code(pg::errc::query_failed));
        auto again = co_await expect_pg_error([&]() -> awaitable<void> { co_await conn->execute(bad); });
        CHECK(again.sqlstate() == "42601");
        CHECK((co_await conn->execute(add, two_two)).get_int(0, 0) == 4);
    });
}

TEST_CASE("unit: pg syntax error gives SQLSTATE 42601 and the connection stays usable", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        auto e = co_await expect_pg_error([&]() -> awaitable<void> {
            co_await conn->execute({"", "SELEKT 1"});
        });
        CHECK(e.code() == pg::make_error_code(pg::errc::query_failed));
        CHECK(e.sqlstate() == "42601");
        CHECK_FALSE(e.is_connection_error());
        CHECK(e.server_message().find("syntax error") != std::string::npos);
        CHECK_FALSE(conn->broken());
        auto r = co_await conn->execute({"", "SELECT 7"});
        CHECK(r.get_int(0, 0) == 7);

        auto s = co_await expect_pg_error(
            [&]() -> awaitable<void> { co_await conn->execute_script("SELECT 1; oops"); });
        CHECK(s.sqlstate() == "42601");
        CHECK((co_await conn->execute({"", "SELECT 8"})).get_int(0, 0) == 8);
    });
}

TEST_CASE("unit: pg unique violation is recognisable and keeps values out of what()", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await conn->execute_script("CREATE TABLE u (email text PRIMARY KEY)");
        constexpr pg::statement ins{"insert_email", "INSERT INTO u VALUES ($1)"};
        pg::params email{"secret@example.com"};
        co_await conn->execute(ins, email);
        auto e = co_await expect_pg_error([&]() -> awaitable<void> { co_await conn->execute(ins, email); });
        CHECK(e.is_unique_violation());
        CHECK_FALSE(e.is_serialization_failure());
        CHECK(std::string(e.what()).find("insert_email") != std::string::npos);
        CHECK(std::string(e.what()).find("secret@example.com") == std::string::npos);
        CHECK(e.server_message().find("secret@example.com") != std::string::npos);
        auto count = co_await conn->execute({"", "SELECT count(*) FROM u"});
        CHECK(count.get_int(0, 0) == 1);
    });
}

TEST_CASE("unit: pg scripts run several statements", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await conn->execute_script(
            "CREATE TABLE s (x int); INSERT INTO s VALUES (1), (2); UPDATE s SET x = x * 10");
        auto r = co_await conn->execute({"", "SELECT sum(x) FROM s"});
        CHECK(r.get_int(0, 0) == 30);
    });
}

TEST_CASE("unit: pg operation timeout marks the connection broken", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        conn->set_operation_timeout(200ms);
        auto e = co_await expect_pg_error([&]() -> awaitable<void> {
            co_await conn->execute({"", "SELECT pg_sleep(5)"});
        });
        CHECK(e.code() == pg::make_error_code(pg::errc::timeout));
        CHECK(e.is_connection_error());
        CHECK(conn->broken());
        auto next = co_await expect_pg_error([&]() -> awaitable<void> {
            co_await conn->execute({"", "SELECT 1"});
        });
        CHECK(next.code() == pg::make_error_code(pg::errc::connection_lost));
    });
}

TEST_CASE("unit: pg terminated backend surfaces as a connection error", "[unit][pg]") {
    auto& h = pg_harness::instance();
    const std::string db = h.empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        auto admin = co_await connect_to(h.admin_conninfo());
        co_await prequal::test::terminate_backend(*admin, conn->backend_pid());
        auto e = co_await expect_pg_error([&]() -> awaitable<void> {
            co_await conn->execute({"", "SELECT 1"});
        });
        CHECK(e.is_connection_error());
        CHECK(e.code() == pg::make_error_code(pg::errc::connection_lost));
        CHECK(conn->broken());
        CHECK_FALSE(conn->check_alive());
    });
}

TEST_CASE("unit: pg connect to a missing server fails with connect_failed", "[unit][pg][pure]") {
    run_coro([&]() -> awaitable<void> {
        auto e = co_await expect_pg_error([&]() -> awaitable<void> {
            co_await connect_to("host=/nonexistent-prequal-socket-dir port=5432 dbname=x user=prequal");
        });
        CHECK(e.code() == pg::make_error_code(pg::errc::connect_failed));
        CHECK(e.is_connection_error());
        CHECK(std::string(e.what()).find("nonexistent-prequal-socket-dir") != std::string::npos);
    });
}

TEST_CASE("unit: pg LISTEN/NOTIFY arrives through wait_notification", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto listener = co_await connect_to(db);
        auto notifier = co_await connect_to(db);
        co_await listener->execute_script("LISTEN outbox_ready");
        CHECK_FALSE((co_await listener->wait_notification(100ms)).has_value());
        CHECK_FALSE(listener->broken());  // running out of time is not a failure

        pg::params payload{"batch-1"};
        co_await notifier->execute({"", "SELECT pg_notify('outbox_ready', $1)"}, payload);
        auto n = co_await listener->wait_notification(10s);
        REQUIRE(n.has_value());
        CHECK(n->channel == "outbox_ready");
        CHECK(n->payload == "batch-1");

        // A notification that arrives while the listener is busy with a query is kept, not lost.
        co_await notifier->execute({"", "SELECT pg_notify('outbox_ready', 'batch-2')"});
        co_await listener->execute({"", "SELECT pg_sleep(0.2)"});
        auto m = co_await listener->wait_notification(10s);
        REQUIRE(m.has_value());
        CHECK(m->payload == "batch-2");
    });
}
