// Connection pressure over loopback: at max_connections the longest-idle keep-alive connection is closed to
// admit a new one (contract section 6), a connection in the middle of a request head is never chosen, a new
// connection is refused only while every open one is mid-request, and descriptors and memory stay bounded
// while idle connections churn.
#include "http_test_support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace prequal;
using namespace prequal::http;
using namespace prequal::http::test;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t cap = 200;

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

/// Open descriptors of this process (both ends of every loopback connection are in it).
std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

/// Resident memory of this process in KiB (VmRSS).
long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string word;
    while (status >> word) {
        if (word == "VmRSS:") {
            long kib = 0;
            status >> kib;
            return kib;
        }
    }
    return -1;
}

std::int64_t idle_count(live_server& srv) {
    return srv.metrics().get_gauge("http_connections_idle", "").value();
}
std::uint64_t shed_count(live_server& srv) {
    return srv.metrics().get_counter("http_connections_shed_total", "").value();
}
std::uint64_t rejected_count(live_server& srv) {
    return srv.metrics().get_counter("http_connections_rejected_total", "").value();
}

/// A client that has had one answer on its connection and keeps it open (an idle keep-alive connection).
std::unique_ptr<raw_client> idle_client(std::uint16_t port) {
    auto c = std::make_unique<raw_client>(port);
    if (!c->send(get_request("/hello"))) return nullptr;
    auto reply = c->read_response();
    if (!reply || reply->status != 200) return nullptr;
    return c;
}

/// True when `c` still gets an answer on its connection.
bool still_served(raw_client& c) {
    if (!c.send(get_request("/hello"))) return false;
    auto reply = c.read_response();
    return reply && reply->status == 200;
}

server_options capped() {
    server_options opts;
    opts.max_connections = cap;
    return opts;
}

}  // namespace

TEST_CASE(
    "unit: http: at max_connections the longest-idle keep-alive connections are closed to admit new "
    "ones",
    "[unit][http]") {
    auto routes = basic_router();
    live_server srv(capped(), dispatch_to(routes));

    // Fill the cap with idle keep-alive connections, oldest first: each is idle before the next one opens.
    std::vector<std::unique_ptr<raw_client>> old;
    for (std::size_t i = 0; i < cap; ++i) {
        old.push_back(idle_client(srv.port()));
        REQUIRE(old.back());
        REQUIRE(eventually([&] { return idle_count(srv) == static_cast<std::int64_t>(i + 1); }));
    }

    // 50 fresh clients each get their answer, and stay connected.
    std::vector<std::unique_ptr<raw_client>> fresh;
    for (int i = 0; i < 50; ++i) {
        INFO("fresh client " << i);
        fresh.push_back(idle_client(srv.port()));
        REQUIRE(fresh.back());
    }
    CHECK(eventually([&] { return shed_count(srv) == 50; }));
    CHECK(rejected_count(srv) == 0);

    // The 50 oldest were closed (cleanly, with nothing sent), the 150 newest were not.
    for (std::size_t i = 0; i < 50; ++i) {
        INFO("old connection " << i);
        std::string received;
        CHECK(old[i]->wait_closed(&received));
        CHECK(received.empty());
    }
    for (std::size_t i = 50; i < cap; ++i) {
        INFO("old connection " << i);
        CHECK_FALSE(old[i]->closed_now());
    }
    CHECK(eventually([&] {
        const auto active = srv.metrics().get_gauge("http_connections_active", "").value();
        return active == static_cast<std::int64_t>(cap);
    }));
    // Every connection that is left still works; answering them closes nothing else.
    for (std::size_t i = 50; i < cap; ++i) CHECK(still_served(*old[i]));
    for (auto& c : fresh) CHECK(still_served(*c));
    CHECK(shed_count(srv) == 50);
}

TEST_CASE(
    "unit: http: a connection in the middle of a request head is never shed, and with all of them "
    "mid-head a new connection is refused",
    "[unit][http]") {
    auto routes = basic_router();
    auto opts = capped();
    opts.read_timeout = 60s;  // ample for the whole test on a loaded machine: only shedding may close them
    live_server srv(opts, dispatch_to(routes));
    const std::string head_start = "GET /hello HTTP/1.1\r\nHost: h\r\n";  // no blank line yet

    // The 150 oldest connections have begun a request head; the 50 newest are idle.
    std::vector<std::unique_ptr<raw_client>> mid_head;
    for (std::size_t i = 0; i < 150; ++i) {
        mid_head.push_back(idle_client(srv.port()));
        REQUIRE(mid_head.back());
        REQUIRE(mid_head.back()->send(head_start));
    }
    REQUIRE(eventually([&] { return idle_count(srv) == 0; }));
    std::vector<std::unique_ptr<raw_client>> idle;
    for (std::size_t i = 0; i < 50; ++i) {
        idle.push_back(idle_client(srv.port()));
        REQUIRE(idle.back());
    }
    REQUIRE(eventually([&] { return idle_count(srv) == 50; }));

    // 50 fresh clients are answered by shedding the idle ones, although those are newer.
    std::vector<std::unique_ptr<raw_client>> fresh;
    for (int i = 0; i < 50; ++i) {
        INFO("fresh client " << i);
        fresh.push_back(idle_client(srv.port()));
        REQUIRE(fresh.back());
    }
    for (auto& c : idle) CHECK(c->wait_closed());
    CHECK(shed_count(srv) == 50);

    // Now every connection is mid-head: a new connection is refused, as before shedding existed.
    for (auto& c : fresh) REQUIRE(c->send(head_start));
    REQUIRE(eventually([&] { return idle_count(srv) == 0; }));
    raw_client refused(srv.port());
    std::string received;
    CHECK(refused.wait_closed(&received));
    CHECK(received.empty());
    CHECK(rejected_count(srv) == 1);
    CHECK(shed_count(srv) == 50);

    // The mid-head connections kept their deadline and finish their requests.
    for (auto& c : mid_head) {
        REQUIRE(c->send("\r\n"));
        auto reply = c->read_response();
        REQUIRE(reply);
        CHECK(reply->status == 200);
    }
}

TEST_CASE("unit: http: descriptors and memory stay bounded while new connections keep shedding idle ones",
          "[unit][http]") {
    auto routes = basic_router();
    live_server srv(capped(), dispatch_to(routes));
    const auto fds_before = open_fds();

    // A ring of `cap` idle clients; each new client sheds the oldest, whose socket the test then closes.
    std::deque<std::unique_ptr<raw_client>> ring;
    for (std::size_t i = 0; i < cap; ++i) {
        ring.push_back(idle_client(srv.port()));
        REQUIRE(ring.back());
        REQUIRE(eventually([&] { return idle_count(srv) == static_cast<std::int64_t>(i + 1); }));
    }
    const auto rss_before = rss_kib();

    constexpr int churn = 2000;
    for (int i = 0; i < churn; ++i) {
        INFO("new client " << i);
        ring.push_back(idle_client(srv.port()));
        REQUIRE(ring.back());
        REQUIRE(ring.front()->wait_closed());
        ring.pop_front();
        // Both ends of `cap` connections, plus at most one server-side close still in flight.
        REQUIRE(open_fds() <= fds_before + 2 * cap + 1);
    }
    CHECK(eventually([&] { return shed_count(srv) == churn; }));
    CHECK(rejected_count(srv) == 0);
    CHECK(eventually([&] { return open_fds() == fds_before + 2 * cap; }));
    // 2000 connections opened and shed; a leak of even one buffer per connection would show here.
    const auto rss_growth_kib = rss_kib() - rss_before;
    INFO("RSS growth " << rss_growth_kib << " KiB");
    CHECK(rss_growth_kib < 8 * 1024);
}

TEST_CASE(
    "unit: http: a new connection that has sent nothing is closed at the cap only when no keep-alive "
    "connection is idle",
    "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.max_connections = 2;
    live_server srv(opts, dispatch_to(routes));
    raw_client silent(srv.port());  // the oldest: connected, sends nothing
    REQUIRE(eventually([&] { return idle_count(srv) == 1; }));
    auto kept = idle_client(srv.port());  // served once, now idle between requests
    REQUIRE(kept);
    REQUIRE(eventually([&] { return idle_count(srv) == 2; }));

    // At the cap the keep-alive connection makes room, although the silent one is older.
    raw_client second_silent(srv.port());
    CHECK(kept->wait_closed());
    CHECK_FALSE(silent.closed_now());
    CHECK(eventually([&] { return shed_count(srv) == 1; }));

    // No keep-alive connection is idle now: the connection that has waited longest without sending
    // anything makes room, so silent connections cannot lock clients out either.
    auto fresh = idle_client(srv.port());
    CHECK(fresh);
    CHECK(silent.wait_closed());
    CHECK_FALSE(second_silent.closed_now());
    CHECK(eventually([&] { return shed_count(srv) == 2; }));
    CHECK(rejected_count(srv) == 0);
}

TEST_CASE("unit: http: on a multi-threaded io_context, clients churning past the cap are all answered",
          "[unit][http]") {
    auto routes = basic_router();
    server_options opts;
    opts.max_connections = 40;
    live_server srv(opts, dispatch_to(routes), 3);
    constexpr int threads = 4;
    constexpr int per_thread = 150;
    std::atomic<int> answered{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            // Each thread keeps up to 20 connections open (80 > the cap of 40), and now and then asks again
            // on an older one, so sheds race with requests arriving on the chosen connection.
            std::deque<std::unique_ptr<raw_client>> mine;
            for (int i = 0; i < per_thread; ++i) {
                auto c = idle_client(srv.port());
                if (c) ++answered;
                mine.push_back(std::move(c));
                if (mine.size() > 20) mine.pop_front();
                if (i % 3 == 0 && mine.front() && !mine.front()->closed_now()) still_served(*mine.front());
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(answered == threads * per_thread);
    CHECK(rejected_count(srv) == 0);
    CHECK(shed_count(srv) > 0);
    // Once the sheds in flight have closed, the server is back within its cap.
    CHECK(eventually([&] { return srv.metrics().get_gauge("http_connections_active", "").value() <= 40; }));

    auto drained = srv.begin_shutdown(10s);
    REQUIRE(drained.wait_for(10s) == std::future_status::ready);
    CHECK(srv.metrics().get_gauge("http_connections_active", "").value() == 0);
    CHECK(idle_count(srv) == 0);
}

TEST_CASE("unit: http: an idle keep-alive connection holds a few KiB, not its last request", "[unit][http]") {
    // A large request and a small answer, so that only the server side holds large buffers.
    router routes;
    routes.add("POST", "/size", [](request& req) -> boost::asio::awaitable<response> {
        response res;
        res.body = std::to_string(req.body.size());
        co_return res;
    });
    live_server srv({}, dispatch_to(routes));
    const std::string body(60 * 1024, 'b');
    const std::string request =
        "POST /size HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body;
    const auto post_and_stay = [&](raw_client& c) {
        if (!c.send(request)) return false;
        auto reply = c.read_response();
        return reply && reply->status == 200 && reply->body == std::to_string(body.size());
    };
    {  // warm the allocator up with one connection's worth first
        raw_client warm(srv.port());
        REQUIRE(post_and_stay(warm));
    }
    const auto rss_before = rss_kib();
    std::vector<std::unique_ptr<raw_client>> idle;
    for (int i = 0; i < 200; ++i) {
        idle.push_back(std::make_unique<raw_client>(srv.port()));
        REQUIRE(post_and_stay(*idle.back()));
    }
    REQUIRE(eventually([&] { return idle_count(srv) == 200; }));
    // Holding each 60 KiB request would be 12 MiB; an idle connection needs about 5 KiB (both ends here).
    const auto rss_growth_kib = rss_kib() - rss_before;
    INFO("RSS growth " << rss_growth_kib << " KiB for 200 idle connections");
    CHECK(rss_growth_kib < 4 * 1024);
}
