// pg::connection::pipeline: a whole transaction in one round trip, and all-or-nothing on failure.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/pg/error.hpp>

#include <catch2/catch.hpp>

namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::test::connect_to;
using prequal::test::pg_harness;
using prequal::test::run_coro;

namespace {

constexpr pg::statement begin_stmt{"", "BEGIN"};
constexpr pg::statement commit_stmt{"", "COMMIT"};
constexpr pg::statement insert_stmt{"insert_item",
                                    "INSERT INTO items (id, label) VALUES ($1, $2) RETURNING id"};

std::vector<std::pair<pg::statement, pg::params>> transaction_of(
    std::vector<std::pair<std::string_view, std::string_view>> rows) {
    std::vector<std::pair<pg::statement, pg::params>> steps;
    steps.emplace_back(begin_stmt, pg::params{});
    for (const auto& [id, label] : rows) steps.emplace_back(insert_stmt, pg::params{id, label});
    steps.emplace_back(commit_stmt, pg::params{});
    return steps;
}

}  // namespace

TEST_CASE("unit: pg pipeline runs BEGIN, inserts and COMMIT in one batch", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await conn->execute_script("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)");
        auto batch = transaction_of({{"1", "one"}, {"2", "two"}});  // a local: see test_connection.cpp
        auto results = co_await conn->pipeline(std::move(batch));
        REQUIRE(results.size() == 4);
        CHECK(results[1].get_int(0, 0) == 1);  // RETURNING of each insert, in order
        CHECK(results[2].get_int(0, 0) == 2);
        CHECK_FALSE(conn->in_transaction());

        // A second batch reuses the statement prepared by the first.
        auto second = transaction_of({{"3", "three"}});
        co_await conn->pipeline(std::move(second));
        auto count = co_await conn->execute({"", "SELECT count(*) FROM items"});
        CHECK(count.get_int(0, 0) == 3);
        auto prepared = co_await conn->execute({"", "SELECT count(*) FROM pg_prepared_statements"});
        CHECK(prepared.get_int(0, 0) == 1);
    });
}

TEST_CASE("unit: pg failing pipeline rolls the whole transaction back", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await conn->execute_script("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)");
        pg::params existing{"1", "existing"};
        co_await conn->execute(insert_stmt, existing);

        std::optional<pg::error> failure;
        try {
            auto batch = transaction_of({{"2", "new"}, {"1", "duplicate"}, {"3", "after"}});
            co_await conn->pipeline(std::move(batch));
        } catch (const pg::error& e) {
            failure = e;
        }
        REQUIRE(failure.has_value());
        CHECK(failure->is_unique_violation());
        CHECK(std::string(failure->what()).find("insert_item") != std::string::npos);
        CHECK_FALSE(conn->broken());
        CHECK_FALSE(conn->in_transaction());

        auto rows = co_await conn->execute({"", "SELECT string_agg(id::text, ',' ORDER BY id) FROM items"});
        CHECK(rows.get(0, 0) == "1");  // neither 2 (before the error) nor 3 (after it) was kept
    });
}

TEST_CASE("unit: pg pipeline leaves a transaction it did not open to the caller", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        co_await conn->execute_script("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)");
        co_await conn->execute_script("BEGIN");
        std::vector<std::pair<pg::statement, pg::params>> steps;
        steps.emplace_back(pg::statement{"", "SELECT 1/0"}, pg::params{});
        CHECK_THROWS_AS(co_await conn->pipeline(std::move(steps)), pg::error);
        CHECK(conn->in_transaction());
        co_await conn->execute_script("ROLLBACK");
        CHECK_FALSE(conn->in_transaction());
    });
}
