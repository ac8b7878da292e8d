// pg::migrate: ordering, checksums, idempotence, refusal of edited files, concurrent replicas, failures.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/pg/migrations.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <catch2/catch.hpp>

namespace pg = prequal::pg;
namespace asio = boost::asio;
using boost::asio::awaitable;
using Catch::Matchers::Contains;
using prequal::test::connect_to;
using prequal::test::pg_harness;
using prequal::test::run_coro;
using prequal::test::scratch_dir;

namespace {

const std::string create_sql = "CREATE TABLE accounts (id int PRIMARY KEY);\n";
const std::string alter_sql = "ALTER TABLE accounts ADD COLUMN owner text;\n";
const std::string seed_sql = "INSERT INTO accounts VALUES (1, 'seed');\n";

// Version 10 sorts after 9 although "10_" < "9_" as text.
void write_standard_set(const scratch_dir& dir) {
    dir.write("001_create.sql", create_sql);
    dir.write("9_alter.sql", alter_sql);
    dir.write("10_seed.sql", seed_sql);
}

awaitable<std::string> expect_runtime_error(awaitable<pg::migration_report> op) {
    try {
        co_await std::move(op);
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
    FAIL("expected std::runtime_error");
    co_return std::string{};
}

}  // namespace

TEST_CASE("unit: pg migrations apply in numeric order and record checksums", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    scratch_dir dir;
    write_standard_set(dir);
    dir.write("README.md", "not a migration");
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        auto report = co_await pg::migrate(*conn, dir.path());
        CHECK(report.applied == std::vector<std::string>{"001_create.sql", "9_alter.sql", "10_seed.sql"});
        CHECK(report.already_applied.empty());

        auto rows = co_await conn->execute(
            {"", "SELECT version, name, checksum FROM schema_migrations ORDER BY version"});
        REQUIRE(rows.rows() == 3);
        CHECK(rows.get_int(0, 0) == 1);
        CHECK(rows.get_int(1, 0) == 9);
        CHECK(rows.get(2, 1) == "10_seed.sql");
        // The server's own SHA-256 of the file text must match what was recorded.
        pg::params text{create_sql};
        auto expected =
            co_await conn->execute({"", "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')"}, text);
        CHECK(rows.get(0, 2) == expected.get(0, 0));
        auto seeded = co_await conn->execute({"", "SELECT owner FROM accounts WHERE id = 1"});
        CHECK(seeded.get(0, 0) == "seed");
    });
}

TEST_CASE("unit: pg migrations second run is a no-op", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    scratch_dir dir;
    write_standard_set(dir);
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await pg::migrate(*conn, dir.path());
        auto again = co_await pg::migrate(*conn, dir.path());
        CHECK(again.applied.empty());
        CHECK(again.already_applied.size() == 3);

        dir.write("011_more.sql", "ALTER TABLE accounts ADD COLUMN note text;");
        auto third = co_await pg::migrate(*conn, dir.path());
        CHECK(third.applied == std::vector<std::string>{"011_more.sql"});
        CHECK((co_await conn->execute({"", "SELECT count(*) FROM accounts"})).get_int(0, 0) == 1);
    });
}

TEST_CASE("unit: pg migrations refuse a migration changed after it was applied", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    scratch_dir dir;
    write_standard_set(dir);
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await pg::migrate(*conn, dir.path());
        dir.write("001_create.sql", create_sql + "-- edited\n");
        dir.write("012_pending.sql", "CREATE TABLE never (x int);");
        const std::string message = co_await expect_runtime_error(pg::migrate(*conn, dir.path()));
        CHECK_THAT(message, Contains("migration 001_create.sql was changed after it was applied"));
        CHECK_FALSE(conn->broken());
        // Refusing means nothing else ran either.
        auto pending = co_await conn->execute({"", "SELECT to_regclass('never') IS NULL"});
        CHECK(pending.get_bool(0, 0));
    });
}

TEST_CASE("unit: pg concurrent migrate calls apply each migration once", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    scratch_dir dir;
    // Slow first migration so the second replica arrives while the first holds the lock.
    dir.write("001_create.sql", "SELECT pg_sleep(0.3);\n" + create_sql);
    dir.write("002_alter.sql", alter_sql);
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto a = co_await connect_to(db);
        auto b = co_await connect_to(db);
        std::vector<pg::migration_report> reports;
        std::vector<std::string> errors;
        auto replica = [&](pg::connection& c) -> awaitable<void> {
            try {
                reports.push_back(co_await pg::migrate(c, dir.path()));
            } catch (const std::exception& e) {
                errors.push_back(e.what());
            }
        };
        asio::co_spawn(ex, replica(*a), asio::detached);
        asio::co_spawn(ex, replica(*b), asio::detached);
        while (reports.size() + errors.size() < 2)
            co_await prequal::test::sleep_for(std::chrono::milliseconds(20));
        CHECK(errors.empty());
        REQUIRE(reports.size() == 2);
        CHECK(reports[0].applied.size() + reports[1].applied.size() == 2);
        CHECK(reports[0].applied.size() * reports[1].applied.size() == 0);  // one replica did all the work
        auto rows =
            co_await a->execute({"", "SELECT count(*), count(DISTINCT version) FROM schema_migrations"});
        CHECK(rows.get_int(0, 0) == 2);
        CHECK(rows.get_int(0, 1) == 2);
    });
}

TEST_CASE("unit: pg migrations reject a file name that is not NNN_name.sql", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    for (const std::string bad :
         {"initial.sql", "001-initial.sql", "001_.sql", "x01_initial.sql", "001_in itial.sql"}) {
        scratch_dir dir;
        dir.write("002_ok.sql", "SELECT 1;");
        dir.write(bad, "SELECT 1;");
        run_coro([&]() -> awaitable<void> {
            auto conn = co_await connect_to(db);
            const std::string message = co_await expect_runtime_error(pg::migrate(*conn, dir.path()));
            CHECK_THAT(message, Contains(bad));
            auto table = co_await conn->execute({"", "SELECT to_regclass('schema_migrations') IS NULL"});
            CHECK(table.get_bool(0, 0));  // rejected before touching the database
        });
    }
}

TEST_CASE("unit: pg failing migration is rolled back, not recorded, and releases the lock", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    scratch_dir dir;
    dir.write("001_create.sql", create_sql);
    dir.write("002_broken.sql", "CREATE TABLE half (x int);\nSELECT no_such_column FROM accounts;\n");
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        const std::string message = co_await expect_runtime_error(pg::migrate(*conn, dir.path()));
        CHECK_THAT(message, Contains("002_broken.sql"));
        CHECK_THAT(message, Contains("42703"));
        CHECK_FALSE(conn->in_transaction());
        auto recorded = co_await conn->execute({"", "SELECT string_agg(name, ',') FROM schema_migrations"});
        CHECK(recorded.get(0, 0) == "001_create.sql");
        auto half = co_await conn->execute({"", "SELECT to_regclass('half') IS NULL"});
        CHECK(half.get_bool(0, 0));

        auto other = co_await connect_to(db);
        auto lock = co_await other->execute({"", "SELECT pg_try_advisory_lock(8102650217567972385)"});
        CHECK(lock.get_bool(0, 0));
    });
}

TEST_CASE("unit: pg migrations report a missing directory", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        const std::string message =
            co_await expect_runtime_error(pg::migrate(*conn, "/nonexistent/prequal/sql"));
        CHECK_THAT(message, Contains("/nonexistent/prequal/sql"));
    });
}

TEST_CASE("unit: pg harness databases carry the project's migrations", "[unit][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto applied = run_coro([&]() -> awaitable<std::int64_t> {
        auto conn = co_await connect_to(db);
        co_return (co_await conn->execute({"", "SELECT count(*) FROM schema_migrations"})).get_int(0, 0);
    });
    std::size_t files = 0;
    const char* env = std::getenv("PREQUAL_SQL_DIR");
    const std::filesystem::path sql = env != nullptr ? env : PREQUAL_TEST_SQL_DIR;
    for (const auto& e : std::filesystem::directory_iterator(sql))
        files += e.path().extension() == ".sql" ? 1 : 0;
    CHECK(applied == static_cast<std::int64_t>(files));
}
