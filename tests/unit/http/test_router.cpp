// Unit tests for the routing table: exact matching, captures, 404 vs 405 + Allow (no sockets).
#include "http_test_support.hpp"

#include <prequal/http/router.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include <string>

using namespace prequal::http;
using prequal::http::test::run_sync;

namespace {

handler reply(std::string tag) {
    return [tag](request& req) -> boost::asio::awaitable<response> {
        response res;
        res.body = tag;
        for (const auto& [k, v] : req.path_params) res.body += "|" + k + "=" + v;
        co_return res;
    };
}

router sample_router() {
    router r;
    r.add("POST", "/applications", reply("submit"));
    r.add("GET", "/applications/{application_id}/status", reply("status"));
    r.add("GET", "/health", reply("health"));
    r.add("POST", "/health", reply("health-post"));
    r.add("GET", "/", reply("root"));
    return r;
}

response call(const router& r, std::string method, std::string path) {
    request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.target = req.path;
    req.request_id = "rid-1";
    return run_sync(r.dispatch(req));
}

std::string error_code_of(const response& res) {
    return std::string(boost::json::parse(res.body).as_object().at("error_code").as_string());
}

}  // namespace

TEST_CASE("unit: http: router dispatches to the matching handler with path params", "[unit][http]") {
    auto r = sample_router();
    CHECK(call(r, "POST", "/applications").body == "submit");
    CHECK(call(r, "GET", "/applications/abc-123/status").body == "status|application_id=abc-123");
    CHECK(call(r, "GET", "/").body == "root");
}

TEST_CASE("unit: http: router names the matched route's pattern on the request, never the raw path",
          "[unit][http]") {
    auto r = sample_router();
    request req;
    req.method = "GET";
    req.path = req.target = "/applications/abc-123/status";
    run_sync(r.dispatch(req));
    CHECK(req.route == "/applications/{application_id}/status");
    request unknown;
    unknown.method = "GET";
    unknown.path = unknown.target = "/nope";
    run_sync(r.dispatch(unknown));
    CHECK(unknown.route.empty());
}

TEST_CASE("unit: http: router answers 404 NOT_FOUND for unknown paths", "[unit][http]") {
    auto r = sample_router();
    for (const char* path :
         {"/nope", "/applications/", "/applications/x/status/", "/applications/x/status/extra",
          "/applications//status", "/Applications", "//applications", "", "applications"}) {
        INFO(path);
        auto res = call(r, "GET", path);
        CHECK(res.status == 404);
        CHECK(error_code_of(res) == "NOT_FOUND");
        auto body = boost::json::parse(res.body).as_object();
        CHECK(body.at("request_id").as_string() == "rid-1");
        CHECK(body.at("path").as_string() == path);
        CHECK(std::string(body.at("message").as_string()).find("GET") != std::string::npos);
    }
}

TEST_CASE("unit: http: router answers 405 with a sorted Allow for a known path and wrong method",
          "[unit][http]") {
    auto r = sample_router();
    auto res = call(r, "POST", "/applications/abc/status");
    CHECK(res.status == 405);
    CHECK(error_code_of(res) == "METHOD_NOT_ALLOWED");
    REQUIRE(find_header(res.headers, "Allow") != nullptr);
    CHECK(*find_header(res.headers, "Allow") == "GET");

    res = call(r, "DELETE", "/health");
    CHECK(res.status == 405);
    CHECK(*find_header(res.headers, "Allow") == "GET, POST");

    res = call(r, "GET", "/applications");
    CHECK(res.status == 405);
    CHECK(*find_header(res.headers, "Allow") == "POST");
}

TEST_CASE("unit: http: router does not imply HEAD from GET", "[unit][http]") {
    auto r = sample_router();
    auto res = call(r, "HEAD", "/health");
    CHECK(res.status == 405);
    CHECK(*find_header(res.headers, "Allow") == "GET, POST");
}

TEST_CASE("unit: http: router prefers a literal segment over a capture", "[unit][http]") {
    router r;
    r.add("GET", "/items/{id}", reply("by-id"));
    r.add("GET", "/items/search", reply("search"));
    CHECK(call(r, "GET", "/items/search").body == "search");
    CHECK(call(r, "GET", "/items/7").body == "by-id|id=7");
}

TEST_CASE("unit: http: router truncates huge paths in the 404 message", "[unit][http]") {
    auto r = sample_router();
    const std::string path = "/" + std::string(10000, 'a');
    auto res = call(r, "GET", path);
    CHECK(res.status == 404);
    auto message = std::string(boost::json::parse(res.body).as_object().at("message").as_string());
    CHECK(message.size() < 400);
}

TEST_CASE("unit: http: router rejects patterns that do not start with a slash", "[unit][http]") {
    router r;
    CHECK_THROWS_AS(r.add("GET", "health", reply("x")), std::invalid_argument);
}

TEST_CASE("unit: http: a guard runs before guarded routes only, and adds its headers or refuses",
          "[unit][http]") {
    router r;
    r.add("GET", "/open", reply("open"));
    r.add(
        "GET", "/guarded",
        [](request& req) -> boost::asio::awaitable<response> {
            response res;
            res.body = "guarded for " + req.client;
            co_return res;
        },
        "things:read");
    std::vector<std::string> seen;
    r.set_guard([&seen](request& req, std::string_view permission) -> boost::asio::awaitable<guard_decision> {
        seen.emplace_back(permission);
        guard_decision d;
        d.headers = {{"X-Quota", "7"}};
        if (req.header("X-Let-In") == nullptr) {
            response no;
            no.status = 401;
            no.body = "no";
            d.refusal = std::move(no);
        } else {
            req.client = "acme";
        }
        co_return d;
    });
    const auto open = call(r, "GET", "/open");
    CHECK(open.body == "open");
    CHECK(find_header(open.headers, "X-Quota") == nullptr);
    CHECK(seen.empty());

    const auto refused = call(r, "GET", "/guarded");
    CHECK(refused.status == 401);
    CHECK(refused.body == "no");
    REQUIRE(find_header(refused.headers, "X-Quota") != nullptr);
    CHECK(seen == std::vector<std::string>{"things:read"});

    request req;
    req.method = "GET";
    req.path = req.target = "/guarded";
    req.headers = {{"X-Let-In", "1"}};
    const auto admitted = run_sync(r.dispatch(req));
    CHECK(admitted.status == 200);
    CHECK(admitted.body == "guarded for acme");
    REQUIRE(find_header(admitted.headers, "X-Quota") != nullptr);
    CHECK(*find_header(admitted.headers, "X-Quota") == "7");

    // Unknown paths and wrong methods are answered without the guard.
    CHECK(call(r, "GET", "/nowhere").status == 404);
    CHECK(call(r, "POST", "/guarded").status == 405);
    CHECK(seen.size() == 2);
}
