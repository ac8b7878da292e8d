// The loopback rule: no key needed on 127.0.0.0/8, ::1 and localhost unless asked; a key anywhere else.
#include <prequal/access/auth_mode.hpp>

#include <catch2/catch.hpp>

using namespace prequal::access;

TEST_CASE("unit: access: auth mode: loopback addresses", "[unit][pure]") {
    for (const char* host :
         {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"})
        CHECK(is_loopback_host(host));
    for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.10", "128.0.0.1", "::2", "example.com",
                             "", "localhost.", "::ffff:10.0.0.1"})
        CHECK_FALSE(is_loopback_host(host));
}

TEST_CASE("unit: access: auth mode: the configured mode wins, otherwise the loopback rule", "[unit][pure]") {
    CHECK(resolve_auth_mode(std::nullopt, "127.0.0.1") == auth_mode::none);
    CHECK(resolve_auth_mode(std::nullopt, "0.0.0.0") == auth_mode::api_key);
    CHECK(resolve_auth_mode(std::nullopt, "::") == auth_mode::api_key);
    CHECK(resolve_auth_mode(auth_mode::api_key, "127.0.0.1") == auth_mode::api_key);
    CHECK(resolve_auth_mode(auth_mode::none, "0.0.0.0") == auth_mode::none);
    CHECK(parse_auth_mode("api-key") == auth_mode::api_key);
    CHECK(parse_auth_mode("none") == auth_mode::none);
    CHECK_FALSE(parse_auth_mode("API-KEY"));
    CHECK_FALSE(parse_auth_mode(""));
    CHECK(to_string(auth_mode::api_key) == "api-key");
}
