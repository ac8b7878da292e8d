// Unit tests for the plain request/response helpers.
#include <prequal/http/message.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace prequal::http;

TEST_CASE("unit: http: find_header ignores case and returns the first match", "[unit][http]") {
    header_list h{{"Content-Type", "text/plain"}, {"x-request-id", "abc"}, {"X-REQUEST-ID", "def"}};
    REQUIRE(find_header(h, "content-type") != nullptr);
    CHECK(*find_header(h, "CONTENT-TYPE") == "text/plain");
    CHECK(*find_header(h, "X-Request-Id") == "abc");
    CHECK(find_header(h, "Content-Length") == nullptr);
    CHECK(find_header(h, "Content-Typ") == nullptr);
}

TEST_CASE("unit: http: request path_param returns the captured value or empty", "[unit][http]") {
    request req;
    req.path_params = {{"application_id", "42"}, {"other", "x"}};
    CHECK(req.path_param("application_id") == "42");
    CHECK(req.path_param("other") == "x");
    CHECK(req.path_param("missing").empty());
}

TEST_CASE("unit: http: response set_header replaces case-insensitively and leaves one copy", "[unit][http]") {
    response res;
    res.headers = {{"allow", "GET"}, {"X-A", "1"}, {"ALLOW", "POST"}};
    res.set_header("Allow", "GET, POST");
    REQUIRE(res.headers.size() == 2);
    CHECK(*find_header(res.headers, "allow") == "GET, POST");
    CHECK(*find_header(res.headers, "x-a") == "1");
    res.set_header("Location", "/x");
    CHECK(res.headers.size() == 3);
    CHECK(*find_header(res.headers, "location") == "/x");
}

TEST_CASE("unit: http: is_valid_request_id accepts 1-128 printable ASCII without edge spaces",
          "[unit][http]") {
    CHECK(is_valid_request_id("a"));
    CHECK(is_valid_request_id("req 42/abc:~!"));
    CHECK(is_valid_request_id(std::string(128, 'x')));
    CHECK_FALSE(is_valid_request_id(""));
    CHECK_FALSE(is_valid_request_id(std::string(129, 'x')));
    CHECK_FALSE(is_valid_request_id(" lead"));
    CHECK_FALSE(is_valid_request_id("trail "));
    CHECK_FALSE(is_valid_request_id("tab\there"));
    CHECK_FALSE(is_valid_request_id("nl\n"));
    CHECK_FALSE(is_valid_request_id("del\x7f"));
    CHECK_FALSE(is_valid_request_id("caf\xc3\xa9"));
}
