// Two-phase shutdown over loopback: stop_accepting() refuses new connections, drain() lets the request in
// flight finish with Connection: close and closes idle keep-alive connections.
#include "http_test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace prequal;
using namespace prequal::http;
using namespace prequal::http::test;
using namespace std::chrono_literals;

namespace {

// A handler parked on a timer that the test releases, so "in flight" does not depend on timing.
struct gated_route {
    std::atomic<bool> entered{false};
    boost::asio::steady_timer* gate = nullptr;

    // A member coroutine, not a capturing lambda: its frame must not point into a dead closure.
    boost::asio::awaitable<response> serve(boost::asio::io_context& ctx) {
        boost::asio::steady_timer timer(ctx, 30s);
        gate = &timer;
        entered = true;
        co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        gate = nullptr;
        response res;
        res.body = R"({"slow":true})";
        co_return res;
    }
    void release(boost::asio::io_context& ctx) {
        std::promise<void> done;
        boost::asio::post(ctx, [&] {
            if (gate != nullptr) gate->cancel();
            done.set_value();
        });
        done.get_future().wait();
    }
};

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

}  // namespace

TEST_CASE("unit: http: drain lets the in-flight request finish and refuses new connections", "[unit][http]") {
    auto routes = basic_router();
    gated_route slow;
    std::unique_ptr<live_server> srv;
    routes.add("GET", "/slow", [&](request&) { return slow.serve(srv->context()); });
    srv = std::make_unique<live_server>(server_options{}, dispatch_to(routes));
    const auto port = srv->port();

    raw_client busy(port);
    raw_client idle(port);
    REQUIRE(idle.send(get_request("/hello")));
    REQUIRE(idle.read_response());
    REQUIRE(busy.send(get_request("/slow")));
    REQUIRE(eventually([&] { return slow.entered.load(); }));

    auto drained = srv->begin_shutdown(10s);
    // Phase 1: the listener goes away while the slow request is still parked.
    CHECK(eventually([&] { return raw_client::try_connect(port) == ECONNREFUSED; }));
    // Phase 2: the idle keep-alive connection is closed without waiting for the slow one.
    CHECK(idle.wait_closed());
    CHECK(drained.wait_for(0s) == std::future_status::timeout);

    slow.release(srv->context());
    auto reply = busy.read_response();
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body == R"({"slow":true})");
    REQUIRE(reply->header("Connection") != nullptr);
    CHECK(*reply->header("Connection") == "close");
    CHECK(busy.wait_closed());

    REQUIRE(drained.wait_for(10s) == std::future_status::ready);
    drained.get();
    CHECK(raw_client::try_connect(port) == ECONNREFUSED);
}

TEST_CASE("unit: http: drain force-closes what is still running at the deadline", "[unit][http]") {
    auto routes = basic_router();
    gated_route slow;
    std::unique_ptr<live_server> srv;
    routes.add("GET", "/slow", [&](request&) { return slow.serve(srv->context()); });
    srv = std::make_unique<live_server>(server_options{}, dispatch_to(routes));

    raw_client busy(srv->port());
    REQUIRE(busy.send(get_request("/slow")));
    REQUIRE(eventually([&] { return slow.entered.load(); }));

    auto drained = srv->begin_shutdown(100ms);
    REQUIRE(drained.wait_for(10s) == std::future_status::ready);
    CHECK(busy.wait_closed());
    slow.release(srv->context());
}

TEST_CASE("unit: http: drain with no connections completes at once", "[unit][http]") {
    auto routes = basic_router();
    live_server srv({}, dispatch_to(routes));
    auto drained = srv.begin_shutdown(60s);
    REQUIRE(drained.wait_for(10s) == std::future_status::ready);
    CHECK(raw_client::try_connect(srv.port()) == ECONNREFUSED);
}

TEST_CASE("unit: http: a multi-threaded io_context serves concurrent keep-alive clients and drains",
          "[unit][http]") {
    auto routes = basic_router();
    live_server srv({}, dispatch_to(routes), 3);
    constexpr int clients = 6;
    constexpr int requests = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> workers;
    for (int c = 0; c < clients; ++c) {
        workers.emplace_back([&, c] {
            raw_client client(srv.port());
            for (int i = 0; i < requests; ++i) {
                const auto id = "c" + std::to_string(c) + "-" + std::to_string(i);
                if (!client.send(get_request("/rid", "X-Request-ID: " + id + "\r\n"))) return;
                auto reply = client.read_response();
                if (reply && reply->status == 200 && reply->body == id) ++ok;
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(ok == clients * requests);

    auto drained = srv.begin_shutdown(10s);
    REQUIRE(drained.wait_for(10s) == std::future_status::ready);
    CHECK(raw_client::try_connect(srv.port()) == ECONNREFUSED);
    CHECK(
        srv.metrics()
            .get_counter("http_requests_total", "", {{"method", "GET"}, {"route", "/rid"}, {"status", "200"}})
            .value() == clients * requests);
}
