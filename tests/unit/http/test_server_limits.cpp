// Server limits over loopback: body and header limits, malformed requests, read timeouts (idle and
// slow-loris clients) and the connection cap.
#include "http_test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

using namespace prequal;
using namespace prequal::http;
using namespace prequal::http::test;
using namespace std::chrono_literals;

namespace {

void check_contract_error(const http_reply& reply, int status, const char* code) {
    CHECK(reply.status == status);
    REQUIRE(reply.header("Content-Type") != nullptr);
    CHECK(*reply.header("Content-Type") == "application/json; charset=utf-8");
    REQUIRE(reply.header("X-Request-ID") != nullptr);
    auto body = boost::json::parse(reply.body).as_object();
    CHECK(body.at("error_code").as_string() == code);
    CHECK(body.at("request_id").as_string() == *reply.header("X-Request-ID"));
    CHECK(body.at("details").is_array());
    CHECK(body.contains("timestamp"));
    CHECK(body.contains("path"));
    CHECK(body.contains("message"));
}

}  // namespace

TEST_CASE("unit: http: a 70 KiB body gets 413 PAYLOAD_TOO_LARGE and the connection closes", "[unit][http]") {
    auto routes = basic_router();
    live_server srv({}, dispatch_to(routes));
    const std::string body(70 * 1024, 'x');
    raw_client client(srv.port());
    REQUIRE(client.send(
        "POST /echo HTTP/1.1\r\nHost: h\r\nX-Request-ID: big-1\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n"));
    client.send(body);  // the server may already have closed its side; only the reply matters
    auto reply = client.read_response();
    REQUIRE(reply);
    check_contract_error(*reply, 413, "PAYLOAD_TOO_LARGE");
    CHECK(*reply->header("X-Request-ID") == "big-1");
    CHECK(boost::json::parse(reply->body).as_object().at("path").as_string() == "/echo");
    CHECK(client.wait_closed());
}

TEST_CASE("unit: http: Expect 100-continue with an oversized Content-Length gets 413 instead of 100",
          "[unit][http]") {
    auto routes = basic_router();
    live_server srv({}, dispatch_to(routes));
    raw_client client(srv.port());
    REQUIRE(client.send(
        "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 71680\r\n\r\n"));
    auto reply = client.read_response();
    REQUIRE(reply);
    check_contract_error(*reply, 413, "PAYLOAD_TOO_LARGE");
    CHECK(client.wait_closed());
}

TEST_CASE("unit: http: a chunked body over the limit gets 413 too", "[unit][http]") {
    auto routes = basic_router();
    live_server srv({}, dispatch_to(routes));
    raw_client client(srv.port());
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk(8 * 1024, 'y');
    for (int i = 0; i < 9; ++i) {
        if (!client.send("2000\r\n" + chunk + "\r\n")) break;
    }
    client.send("0\r\n\r\n");
    auto reply = client.read_response();
    REQUIRE(reply);
    check_contract_error(*reply, 413, "PAYLOAD_TOO_LARGE");
}

TEST_CASE("unit: http: a body exactly at the limit is accepted", "[unit][http]") {
    auto routes = basic_router();
    live_server srv({}, dispatch_to(routes));
    const std::string body(64 * 1024, 'z');
    raw_client client(srv.port());
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body));
    auto reply = client.read_response();
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body == body);
}

TEST_CASE("unit: http: too many header fields get 431 HEADERS_TOO_LARGE", "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.max_header_count = 10;
    live_server srv(opts, dispatch_to(routes));
    std::string extra;
    for (int i = 0; i < 20; ++i) extra += "X-H" + std::to_string(i) + ": v\r\n";
    raw_client client(srv.port());
    REQUIRE(client.send(get_request("/hello", extra + "X-Request-ID: many-1\r\n")));
    auto reply = client.read_response();
    REQUIRE(reply);
    check_contract_error(*reply, 431, "HEADERS_TOO_LARGE");
    CHECK(*reply->header("X-Request-ID") == "many-1");
    CHECK(client.wait_closed());
}

TEST_CASE("unit: http: a header block over header_limit gets 431 HEADERS_TOO_LARGE", "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.header_limit = 1024;
    live_server srv(opts, dispatch_to(routes));
    raw_client client(srv.port());
    REQUIRE(client.send(get_request("/hello", "X-Big: " + std::string(4096, 'b') + "\r\n")));
    auto reply = client.read_response();
    REQUIRE(reply);
    check_contract_error(*reply, 431, "HEADERS_TOO_LARGE");
    CHECK(client.wait_closed());
}

TEST_CASE("unit: http: malformed requests get 400 BAD_REQUEST and the connection closes", "[unit][http]") {
    auto routes = basic_router();
    live_server srv({}, dispatch_to(routes));
    for (const char* raw : {"GET /hello HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n",
                            "this is not http\r\n\r\n", "GET /hello HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                            "POST /echo HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab"}) {
        INFO(raw);
        raw_client client(srv.port());
        REQUIRE(client.send(raw));
        auto reply = client.read_response();
        REQUIRE(reply);
        check_contract_error(*reply, 400, "BAD_REQUEST");
        CHECK(client.wait_closed());
    }
}

TEST_CASE("unit: http: an unreadable Authorization value is 401 with Bearer keys in use, else 400",
          "[unit][http]") {
    auto routes = basic_router();
    const std::string nul_in_credential =
        std::string("GET /hello HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer pq_ab") + '\0' + "cd\r\n\r\n";
    const std::string control_in_credential =
        "GET /hello HTTP/1.1\r\nHost: h\r\nauthorization: Bearer \x01x\r\n\r\n";
    const std::string nul_elsewhere = std::string("GET /hello HTTP/1.1\r\nHost: h\r\nX-Note: a") + '\0' +
                                      "b\r\nAuthorization: Bearer pq_abcd\r\n\r\n";
    server_options keys;
    keys.bearer_credentials = true;
    live_server with_keys(keys, dispatch_to(routes));
    live_server without_keys({}, dispatch_to(routes));
    for (const auto& raw : {nul_in_credential, control_in_credential}) {
        raw_client client(with_keys.port());
        REQUIRE(client.send(raw));
        auto reply = client.read_response();
        REQUIRE(reply);
        check_contract_error(*reply, 401, "UNAUTHORIZED");
        REQUIRE(reply->header("WWW-Authenticate") != nullptr);
        CHECK(reply->header("WWW-Authenticate")->starts_with("Bearer"));
        CHECK(client.wait_closed());
    }
    // Only the credential itself makes it a 401: another broken field is a malformed request.
    {
        raw_client client(with_keys.port());
        REQUIRE(client.send(nul_elsewhere));
        auto reply = client.read_response();
        REQUIRE(reply);
        check_contract_error(*reply, 400, "BAD_REQUEST");
    }
    // Without API keys (--auth=none) there is no credential to refuse: the message is just malformed.
    raw_client client(without_keys.port());
    REQUIRE(client.send(nul_in_credential));
    auto reply = client.read_response();
    REQUIRE(reply);
    check_contract_error(*reply, 400, "BAD_REQUEST");
}

TEST_CASE("unit: http: a client that sends nothing is disconnected after read_timeout", "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.read_timeout = 200ms;
    live_server srv(opts, dispatch_to(routes));
    raw_client client(srv.port(), 10s);
    std::string received;
    CHECK(client.wait_closed(&received));
    CHECK(received.empty());
}

TEST_CASE("unit: http: an idle keep-alive connection is closed after idle_timeout", "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.idle_timeout = 200ms;
    live_server srv(opts, dispatch_to(routes));
    raw_client client(srv.port(), 10s);
    REQUIRE(client.send(get_request("/hello")));
    REQUIRE(client.read_response());
    CHECK(client.wait_closed());
}

TEST_CASE("unit: http: a slow-loris client dribbling header bytes is closed", "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.read_timeout = 200ms;
    live_server srv(opts, dispatch_to(routes));
    raw_client client(srv.port());
    REQUIRE(client.send("GET /hello HTTP/1.1\r\nHost: h\r\nX-Slow: "));
    bool closed = false;
    // Each byte arrives well inside any per-read timeout; only a whole-request deadline ends this.
    for (int i = 0; i < 400 && !closed; ++i) {
        if (!client.send("a")) {
            closed = true;
            break;
        }
        std::this_thread::sleep_for(25ms);
        closed = client.closed_now();
    }
    CHECK(closed);
    CHECK(srv.metrics()
              .get_counter("http_requests_total", "",
                           {{"method", "GET"}, {"route", "/hello"}, {"status", "200"}})
              .value() == 0);
}

TEST_CASE(
    "unit: http: connections over max_connections are closed right away while every open one is "
    "mid-request",
    "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.max_connections = 2;
    live_server srv(opts, dispatch_to(routes));
    raw_client a(srv.port());
    raw_client b(srv.port());
    // Make sure both are accepted and being served before the third arrives. An idle connection would be
    // closed to make room (test_server_pressure.cpp), so both are left in the middle of a request head.
    REQUIRE(a.send(get_request("/hello")));
    REQUIRE(a.read_response());
    REQUIRE(b.send(get_request("/hello")));
    REQUIRE(b.read_response());
    const std::string head_start = "GET /hello HTTP/1.1\r\n";
    REQUIRE(a.send(head_start));
    REQUIRE(b.send(head_start));
    auto& idle = srv.metrics().get_gauge("http_connections_idle", "");
    for (int i = 0; i < 500 && idle.value() != 0; ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(idle.value() == 0);

    raw_client c(srv.port());
    std::string received;
    CHECK(c.wait_closed(&received));
    CHECK(received.empty());
    CHECK(srv.metrics().get_counter("http_connections_rejected_total", "").value() == 1);

    // The first two are unaffected.
    REQUIRE(a.send("Host: h\r\n\r\n"));
    auto reply = a.read_response();
    REQUIRE(reply);
    CHECK(reply->status == 200);
}
