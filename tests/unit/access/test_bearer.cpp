// Bearer credentials: exactly one Authorization header with one well-formed token, or nothing.
#include <prequal/access/bearer.hpp>

#include <catch2/catch.hpp>

using prequal::access::bearer_token;
using prequal::http::header_list;

namespace {
const std::string key = "pq_0123456789abcdef_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
}

TEST_CASE("unit: access: bearer: one well-formed credential gives its token", "[unit][pure]") {
    CHECK(bearer_token(header_list{{"Authorization", "Bearer " + key}}) == key);
    CHECK(bearer_token(header_list{{"authorization", "bearer " + key}}) == key);
    CHECK(bearer_token(header_list{{"Host", "x"}, {"AUTHORIZATION", "BEARER  " + key}}) == key);
    CHECK(bearer_token(header_list{{"Authorization", "Bearer abc.def~ghi+/=="}}) == "abc.def~ghi+/==");
}

TEST_CASE("unit: access: bearer: no, several, or malformed credentials give nothing", "[unit][pure]") {
    CHECK_FALSE(bearer_token(header_list{}));
    CHECK_FALSE(bearer_token(header_list{{"X-Authorization", "Bearer " + key}}));
    CHECK_FALSE(
        bearer_token(header_list{{"Authorization", "Bearer " + key}, {"authorization", "Bearer " + key}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Basic dXNlcjpwYXNz"}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer"}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer "}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", ""}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer\t" + key}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearerx " + key}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer " + key + " extra"}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer " + key + ",x"}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer ab=c"}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer =="}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", std::string("Bearer ab\0cd", 12)}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer pq_\xc3\xa9t\xc3\xa9"}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer " + std::string(10 * 1024, 'a')}}));
    CHECK_FALSE(bearer_token(header_list{{"Authorization", "Bearer " + std::string(257, 'a')}}));
    CHECK(bearer_token(header_list{{"Authorization", "Bearer " + std::string(256, 'a')}}));
}
