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

TEST_CASE("unit: http: query_parameters splits, percent-decodes and keeps repeats in order", "[unit][http]") {
    const auto none = query_parameters("/applications/x/status");
    CHECK(none.empty());
    const auto q = query_parameters("/events?after=c%31&limit=5&&flag&bad=%zz&a+b=x%20y#frag&no=1");
    REQUIRE(q.size() == 5);
    CHECK(q[0].name == "after");
    CHECK(q[0].value == "c1");
    CHECK(q[1].name == "limit");
    CHECK(q[1].value == "5");
    CHECK(q[2].name == "flag");
    CHECK(q[2].value == "");  // no '=': an empty value
    CHECK(q[3].name == "bad");
    CHECK_FALSE(q[3].value.has_value());  // a malformed escape
    CHECK(q[4].name == "a b");
    CHECK(q[4].value == "x y");
    const auto repeated = query_parameters("/x?wait=1&wait=2");
    REQUIRE(repeated.size() == 2);
    CHECK(repeated[1].value == "2");
    CHECK_FALSE(percent_decoded("%4").has_value());
    CHECK(percent_decoded("%41%62") == "Ab");
}
