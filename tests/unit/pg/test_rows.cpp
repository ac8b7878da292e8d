// Typed rows (pg/row.hpp): row structs decoded by column name from a real server's results, and the
// errors that name the column when a result does not fit.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/core/money.hpp>
#include <prequal/pg/error.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::core::money;
using prequal::test::connect_to;
using prequal::test::pg_harness;
using prequal::test::run_coro;

namespace {

struct account_row {
    std::int64_t id = 0;
    std::string owner;
    bool active = false;
    int tier = 0;
    money balance;
    std::optional<std::string> note;
    std::optional<std::int64_t> closed_by;
    static constexpr auto columns = std::tuple{pg::col("id", &account_row::id),
                                               pg::col("owner", &account_row::owner),
                                               pg::col("active", &account_row::active),
                                               pg::col("tier", &account_row::tier),
                                               pg::col("balance", &account_row::balance),
                                               pg::col("note", &account_row::note),
                                               pg::col("closed_by", &account_row::closed_by)};
};

struct id_row {
    std::int64_t id = 0;
    static constexpr auto columns = std::tuple{pg::col("id", &id_row::id)};
};

struct tier_row {
    int tier = 0;
    static constexpr auto columns = std::tuple{pg::col("tier", &tier_row::tier)};
};

struct flag_row {
    bool active = false;
    static constexpr auto columns = std::tuple{pg::col("active", &flag_row::active)};
};

struct balance_row {
    money balance;
    static constexpr auto columns = std::tuple{pg::col("balance", &balance_row::balance)};
};

struct owner_row {
    std::string owner;
    static constexpr auto columns = std::tuple{pg::col("owner", &owner_row::owner)};
};

// The pg::error a decode throws (failing the test if it throws nothing or something else).
template <class Decode>
pg::error decode_error(Decode decode) {
    try {
        decode();
    } catch (const pg::error& e) {
        return e;
    }
    FAIL("expected a pg::error");
    throw std::logic_error("unreachable");
}

bool says(const pg::error& e, const std::string& text) {
    return std::string(e.what()).find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("unit: pg rows decode by column name whatever the column order", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        // Columns in another order than the struct's, plus one the struct does not list.
        auto r = co_await conn->execute(
            {"",
             "SELECT note, 'ignored' AS extra, balance, tier, closed_by, active, owner, id FROM (VALUES"
             " (2::bigint, 'bob', false, 3, 0.50::numeric(12,2), 'vip', 7::bigint),"
             " (1::bigint, 'alice', true, -1, 120000.00::numeric(12,2), NULL, NULL)"
             ") AS t(id, owner, active, tier, balance, note, closed_by) ORDER BY id"});
        const auto rows = r.rows_as<account_row>();
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].id == 1);
        CHECK(rows[0].owner == "alice");
        CHECK(rows[0].active);
        CHECK(rows[0].tier == -1);
        CHECK(rows[0].balance == money::from_rupees(120000));
        CHECK_FALSE(rows[0].note.has_value());  // NULL → nullopt
        CHECK_FALSE(rows[0].closed_by.has_value());
        CHECK(rows[1].id == 2);
        CHECK(rows[1].owner == "bob");
        CHECK_FALSE(rows[1].active);
        CHECK(rows[1].tier == 3);
        CHECK(rows[1].balance == money::from_paise(50));
        CHECK(rows[1].note == std::optional<std::string>{"vip"});
        CHECK(rows[1].closed_by == std::optional<std::int64_t>{7});

        auto none = co_await conn->execute({"", "SELECT 1::bigint AS id WHERE false"});
        CHECK(none.rows_as<id_row>().empty());
        CHECK_FALSE(none.maybe_one_as<id_row>().has_value());
    });
}

TEST_CASE("unit: pg one_as wants exactly one row, maybe_one_as at most one", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        auto one = co_await conn->execute({"", "SELECT 42::bigint AS id"});
        CHECK(one.one_as<id_row>().id == 42);
        REQUIRE(one.maybe_one_as<id_row>().has_value());
        CHECK(one.maybe_one_as<id_row>()->id == 42);

        auto none = co_await conn->execute({"", "SELECT 1::bigint AS id WHERE false"});
        const pg::error empty = decode_error([&] { none.one_as<id_row>(); });
        CHECK(empty.code() == pg::make_error_code(pg::errc::bad_row));
        CHECK(says(empty, "0 rows where exactly one was expected"));

        auto two = co_await conn->execute({"", "SELECT generate_series(1, 2)::bigint AS id"});
        CHECK(says(decode_error([&] { two.one_as<id_row>(); }), "2 rows where exactly one was expected"));
        CHECK(
            says(decode_error([&] { two.maybe_one_as<id_row>(); }), "2 rows where at most one was expected"));
    });
}

TEST_CASE("unit: pg rows name the column that is missing, NULL or unparsable", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);

        // A missing column fails even when there are no rows: a misspelt name is caught on the first run.
        auto other = co_await conn->execute({"", "SELECT 1::bigint AS identifier WHERE false"});
        const pg::error missing = decode_error([&] { other.rows_as<id_row>(); });
        CHECK(missing.code() == pg::make_error_code(pg::errc::bad_row));
        CHECK(says(missing, "no column \"id\""));
        CHECK_FALSE(missing.is_unavailable());
        CHECK(says(decode_error([&] { other.maybe_one_as<id_row>(); }), "no column \"id\""));

        // The offending value never appears in what(): it may be personal data.
        auto text = co_await conn->execute({"", "SELECT 'ABCDE1234F' AS id"});
        const pg::error not_int = decode_error([&] { text.one_as<id_row>(); });
        CHECK(not_int.code() == pg::make_error_code(pg::errc::bad_row));
        CHECK(says(not_int, "column \"id\" is not an integer"));
        CHECK_FALSE(says(not_int, "ABCDE1234F"));

        auto fraction = co_await conn->execute({"", "SELECT 1.5 AS id"});
        CHECK(says(decode_error([&] { fraction.one_as<id_row>(); }), "column \"id\" is not an integer"));
        auto empty_text = co_await conn->execute({"", "SELECT '' AS id"});
        CHECK(says(decode_error([&] { empty_text.one_as<id_row>(); }), "column \"id\" is not an integer"));

        auto big = co_await conn->execute({"", "SELECT 3000000000::bigint AS tier"});
        CHECK(says(decode_error([&] { big.one_as<tier_row>(); }),
                   "column \"tier\" is not an integer within int range"));

        auto yes = co_await conn->execute({"", "SELECT 'yes' AS active"});
        CHECK(says(decode_error([&] { yes.one_as<flag_row>(); }), "column \"active\" is not a boolean"));

        auto paise = co_await conn->execute({"", "SELECT 1.005 AS balance"});
        CHECK(says(decode_error([&] { paise.one_as<balance_row>(); }),
                   "column \"balance\" is not an exact amount"));

        auto null_text = co_await conn->execute({"", "SELECT NULL::text AS owner"});
        CHECK(says(decode_error([&] { null_text.one_as<owner_row>(); }), "column \"owner\" is NULL"));
        auto null_int = co_await conn->execute({"", "SELECT NULL::bigint AS id"});
        CHECK(says(decode_error([&] { null_int.one_as<id_row>(); }), "column \"id\" is NULL"));
    });
}
