// Scope lists: the four scopes of the contract, unknown ones refused, exact membership.
#include <prequal/access/scopes.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace prequal::access;

TEST_CASE("unit: access: scopes: known scopes parse, duplicates collapse, unknown ones are refused",
          "[unit][pure]") {
    CHECK(parse_scopes(default_scopes) ==
          std::vector<std::string>{"applications:write", "applications:read"});
    CHECK(parse_scopes("personal-data:erase,applications:review,personal-data:erase") ==
          std::vector<std::string>{"personal-data:erase", "applications:review"});
    CHECK_THROWS_AS(parse_scopes(""), std::invalid_argument);
    CHECK_THROWS_AS(parse_scopes("applications:write,"), std::invalid_argument);
    CHECK_THROWS_AS(parse_scopes("applications:*"), std::invalid_argument);
    CHECK_THROWS_WITH(parse_scopes("admin"), Catch::Contains("unknown scope 'admin'"));
}

TEST_CASE("unit: access: scopes: membership is exact", "[unit][pure]") {
    CHECK(has_scope("applications:write,applications:read", "applications:read"));
    CHECK(has_scope("applications:read", "applications:read"));
    CHECK_FALSE(has_scope("applications:write", "applications:read"));
    CHECK_FALSE(has_scope("applications:reader", "applications:read"));
    CHECK_FALSE(has_scope("", "applications:read"));
    CHECK_FALSE(has_scope("xapplications:read", "applications:read"));
}
