// core::money: JSON-number parsing without floating point, 2-decimal formatting, half-away rounding.
#include <prequal/core/money.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

using prequal::core::money;
using prequal::core::money_error;

namespace {

struct parse_case {
    std::string text;
    money_error error;
    std::int64_t paise;  // meaningful when error == none
};

std::string describe(money_error e) {
    switch (e) {
        case money_error::none:
            return "none";
        case money_error::syntax:
            return "syntax";
        case money_error::too_many_decimals:
            return "too_many_decimals";
        case money_error::out_of_range:
            return "out_of_range";
    }
    return "?";
}

constexpr auto ok = money_error::none;
constexpr auto syntax = money_error::syntax;
constexpr auto decimals = money_error::too_many_decimals;
constexpr auto range = money_error::out_of_range;

}  // namespace

TEST_CASE("unit: money parse accepts JSON numbers and decimal strings exactly", "[unit][money]") {
    const std::vector<parse_case> cases = {
        {"0", ok, 0},
        {"-0", ok, 0},
        {"-0.00", ok, 0},
        {"0.0", ok, 0},
        {"0e5", ok, 0},
        {"0.000e-7", ok, 0},
        {"1", ok, 100},
        {"-3", ok, -300},
        {"120000", ok, 12000000},
        {"120000.5", ok, 12000050},
        {"1.05", ok, 105},
        {"-1.05", ok, -105},
        {"1.15", ok, 115},  // 1.149999… as a double
        {"0.01", ok, 1},
        {"0.1", ok, 10},
        {"1.500", ok, 150},
        {"1.5000000000000000000000000000", ok, 150},
        {"1.50e3", ok, 150000},
        {"1.5e2", ok, 15000},
        {"1.5E2", ok, 15000},
        {"1.5e+2", ok, 15000},
        {"12345e-2", ok, 12345},
        {"12345E-2", ok, 12345},
        {"123450e-3", ok, 12345},
        {"0.001e3", ok, 100},
        {"0.00001e3", ok, 1},
        {"1e0", ok, 100},
        {"1e-2", ok, 1},
        {"1e2", ok, 10000},
        {"-1e-2", ok, -1},
        {"100000000", ok, 10000000000},
        {"100000000.00", ok, 10000000000},
        {"100000000.01", ok, 10000000001},
        {"10000000000000", ok, 1000000000000000},  // 10^13 rupees: the limit itself
        {"10000000000000.00", ok, 1000000000000000},
        {"-10000000000000", ok, -1000000000000000},
        {"1e13", ok, 1000000000000000},
        {"0.0000000001e23", ok, 1000000000000000},
        {"9999999999999.99", ok, 999999999999999},
    };
    for (const auto& c : cases) {
        INFO("input '" << c.text << "'");
        money m = money::from_paise(-42);
        const auto e = money::parse(c.text, m);
        CHECK(describe(e) == describe(c.error));
        CHECK(m.paise() == c.paise);
    }
}

TEST_CASE("unit: money parse reports syntax, decimals and range errors", "[unit][money]") {
    const std::vector<parse_case> cases = {
        {"", syntax, 0},
        {"-", syntax, 0},
        {".", syntax, 0},
        {"1.", syntax, 0},
        {".5", syntax, 0},
        {"-.5", syntax, 0},
        {"+1", syntax, 0},
        {" 1", syntax, 0},
        {"1 ", syntax, 0},
        {"1\n", syntax, 0},
        {"0x10", syntax, 0},
        {"NaN", syntax, 0},
        {"nan", syntax, 0},
        {"Infinity", syntax, 0},
        {"-Infinity", syntax, 0},
        {"01", syntax, 0},
        {"00", syntax, 0},
        {"-01.5", syntax, 0},
        {"1e", syntax, 0},
        {"1e+", syntax, 0},
        {"1e-", syntax, 0},
        {"1E", syntax, 0},
        {"e5", syntax, 0},
        {"1.2.3", syntax, 0},
        {"1,5", syntax, 0},
        {"1_000", syntax, 0},
        {"--1", syntax, 0},
        {"1e5.5", syntax, 0},
        {"１", syntax, 0},  // full-width digit
        {std::string{"1\0", 2}, syntax, 0},
        {"1.005", decimals, 0},
        {"0.001", decimals, 0},
        {"1e-3", decimals, 0},
        {"-1e-3", decimals, 0},
        {"12345e-3", decimals, 0},
        {"0.1e-2", decimals, 0},
        {"1.0000000000000000000001", decimals, 0},
        {"1e-999999999", decimals, 0},
        {"1e-99999999999999999999999999", decimals, 0},
        {"10000000000000.01", range, 0},
        {"-10000000000000.01", range, 0},
        {"10000000000001", range, 0},
        {"99999999999999", range, 0},
        {"1e14", range, 0},
        {"1.0000000000001e13", range, 0},
        {"9223372036854775807", range, 0},
        {"18446744073709551617", range, 0},
        {"1e999999999", range, 0},
        {"-1e999999999", range, 0},
        {"1e99999999999999999999999999", range, 0},
        {"12345678901234567.001", range, 0},  // both huge and a third decimal: range wins
    };
    for (const auto& c : cases) {
        INFO("input '" << c.text << "'");
        money m = money::from_paise(-42);
        CHECK(describe(money::parse(c.text, m)) == describe(c.error));
        CHECK(m.paise() == -42);  // untouched on error
    }
}

TEST_CASE("unit: money parse survives very long inputs", "[unit][money]") {
    money m;
    CHECK(money::parse(std::string(5000, '9'), m) == range);
    CHECK(money::parse("1" + std::string(5000, '0'), m) == range);
    CHECK(money::parse("0." + std::string(5000, '0') + "1", m) == decimals);
    CHECK(money::parse("1." + std::string(5000, '0'), m) == ok);
    CHECK(m.paise() == 100);
    CHECK(money::parse("0." + std::string(4998, '0') + "1e5000", m) == ok);  // 10^1 rupees
    CHECK(m.paise() == 1000);
    CHECK(money::parse("1" + std::string(5000, '0') + "e-5000", m) == ok);
    CHECK(m.paise() == 100);
    CHECK(money::parse(std::string(5000, '9') + "x", m) == syntax);
}

TEST_CASE("unit: money to_string always prints two decimals", "[unit][money]") {
    CHECK(money{}.to_string() == "0.00");
    CHECK(money::from_paise(1).to_string() == "0.01");
    CHECK(money::from_paise(10).to_string() == "0.10");
    CHECK(money::from_paise(-1).to_string() == "-0.01");
    CHECK(money::from_paise(-105).to_string() == "-1.05");
    CHECK(money::from_paise(123450).to_string() == "1234.50");
    CHECK(money::from_rupees(100000000).to_string() == "100000000.00");
    CHECK(money::from_rupees(5760000).to_string() == "5760000.00");
    CHECK(money::from_paise(std::numeric_limits<std::int64_t>::max()).to_string() == "92233720368547758.07");
    CHECK(money::from_paise(std::numeric_limits<std::int64_t>::min()).to_string() == "-92233720368547758.08");
}

TEST_CASE("unit: money divided_rounded rounds half away from zero", "[unit][money]") {
    CHECK(money::from_rupees(1000000).divided_rounded(48).to_string() == "20833.33");
    CHECK(money::from_rupees(500000).divided_rounded(48).to_string() == "10416.67");
    CHECK(money::from_paise(5).divided_rounded(2).paise() == 3);    // 2.5 → 3
    CHECK(money::from_paise(-5).divided_rounded(2).paise() == -3);  // -2.5 → -3
    CHECK(money::from_paise(5).divided_rounded(-2).paise() == -3);
    CHECK(money::from_paise(-5).divided_rounded(-2).paise() == 3);
    CHECK(money::from_paise(7).divided_rounded(3).paise() == 2);  // 2.33 → 2
    CHECK(money::from_paise(8).divided_rounded(3).paise() == 3);  // 2.67 → 3
    CHECK(money::from_paise(-8).divided_rounded(3).paise() == -3);
    CHECK(money::from_paise(149).divided_rounded(100).paise() == 1);
    CHECK(money::from_paise(150).divided_rounded(100).paise() == 2);
    CHECK(money::from_paise(0).divided_rounded(48).paise() == 0);
    CHECK(money::from_paise(96).divided_rounded(48).paise() == 2);
    CHECK(money::from_paise(std::numeric_limits<std::int64_t>::max()).divided_rounded(2).paise() ==
          std::numeric_limits<std::int64_t>::max() / 2 + 1);
    CHECK(money::from_paise(std::numeric_limits<std::int64_t>::min())
              .divided_rounded(std::numeric_limits<std::int64_t>::min())
              .paise() == 1);
}

TEST_CASE("unit: money parse inverts to_string for many values", "[unit][money]") {
    std::mt19937_64 rng{20261121};
    std::uniform_int_distribution<std::int64_t> any(-1'000'000'000'000'000, 1'000'000'000'000'000);
    std::uniform_int_distribution<std::int64_t> small(-100'000, 100'000);
    for (int i = 0; i < 20000; ++i) {
        const std::int64_t p = (i % 2 == 0) ? any(rng) : small(rng);
        const std::string text = money::from_paise(p).to_string();
        money back;
        INFO("paise " << p << " text '" << text << "'");
        REQUIRE(money::parse(text, back) == ok);
        REQUIRE(back.paise() == p);
    }
}

TEST_CASE("unit: money orders and multiplies exactly", "[unit][money]") {
    CHECK(money::from_paise(-1) < money{});
    CHECK(money::from_rupees(1) == money::from_paise(100));
    CHECK(money::from_rupees(120000).times(48) == money::from_rupees(5760000));
}
