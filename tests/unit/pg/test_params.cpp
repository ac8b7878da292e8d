// Owning parameters (pg/statement.hpp): a param keeps its own copy of the text, so the caller's strings
// may die before the awaited call sends it; numbers, amounts and optionals become their exact text or NULL.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/core/money.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::test::connect_to;
using prequal::test::pg_harness;
using prequal::test::run_coro;

namespace {

struct echo_row {
    std::string a, b, c;
    static constexpr auto columns =
        std::tuple{pg::col("a", &echo_row::a), pg::col("b", &echo_row::b), pg::col("c", &echo_row::c)};
};

constexpr pg::statement echo{"echo_three", "SELECT $1::text AS a, $2::text AS b, $3::text AS c"};

// Long texts (past any small-string buffer) built here and destroyed on return; only views of them
// are handed to the params, as a caller holding string_views would.
pg::params params_from_dying_strings() {
    std::vector<std::string> texts{std::string(100, 'a'), std::string(100, 'b'), std::string(100, 'c')};
    pg::params out;
    for (const std::string& t : texts) out.emplace_back(std::string_view{t});
    return out;
}

// Reuses freed heap blocks of the same size, so a view into a dead string would now read '#'.
std::vector<std::string> scribble() { return std::vector<std::string>(16, std::string(100, '#')); }

}  // namespace

TEST_CASE("unit: pg params keep their text after the caller's strings die", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        pg::params args = params_from_dying_strings();
        const auto noise = scribble();
        const auto row = (co_await conn->execute(echo, std::move(args))).one_as<echo_row>();
        CHECK(row.a == std::string(100, 'a'));
        CHECK(row.b == std::string(100, 'b'));
        CHECK(row.c == std::string(100, 'c'));

        // The same in a pipeline whose steps are built in a loop, each step's text a loop-local string.
        pg::steps steps;
        for (char ch : {'x', 'y'}) {
            std::string text(100, ch);
            steps.emplace_back(echo, pg::args(text, std::string_view{text}, text.c_str()));
        }
        const auto more_noise = scribble();
        auto results = co_await conn->pipeline(std::move(steps));
        REQUIRE(results.size() == 2);
        CHECK(results[0].one_as<echo_row>().c == std::string(100, 'x'));
        CHECK(results[1].one_as<echo_row>().a == std::string(100, 'y'));
    });
}

TEST_CASE("unit: pg params turn numbers, amounts and optionals into text or NULL", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        const std::optional<std::string> absent;
        const std::optional<int> five = 5;
        auto args = pg::args(42, std::int64_t{-9000000000}, prequal::core::money::from_paise(-12345), absent,
                             five, pg::param{}, std::nullopt, "text");
        auto r = co_await conn->execute({"",
                                         "SELECT $1::int AS a, $2::bigint AS b, $3::numeric AS c,"
                                         " $4::text IS NULL AS d, $5::int AS e, $6::text IS NULL AS f,"
                                         " $7::text IS NULL AS g, $8 AS h"},
                                        std::move(args));
        REQUIRE(r.rows() == 1);
        CHECK(r.get(0, 0) == "42");
        CHECK(r.get(0, 1) == "-9000000000");
        CHECK(r.get(0, 2) == "-123.45");
        CHECK(r.get_bool(0, 3));
        CHECK(r.get(0, 4) == "5");
        CHECK(r.get_bool(0, 5));
        CHECK(r.get_bool(0, 6));
        CHECK(r.get(0, 7) == "text");

        const pg::param null_param{};
        CHECK(null_param.is_null());
        CHECK(null_param.c_str() == nullptr);
        const pg::param text_param{std::string_view{"abc"}};
        CHECK_FALSE(text_param.is_null());
        CHECK(std::string_view{text_param.c_str()} == "abc");
    });
}
