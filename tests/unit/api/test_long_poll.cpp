// Long polls without a database: the rules of the `wait` parameter, and the waiter map (bound, wake-ups by
// id, wake-ups before the wait, release at shutdown, the gauge).
#include "long_poll.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace prequal;
using api::detail::long_poll_waiters;
using api::detail::parse_wait;
using std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const std::string id_a = "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70";
const std::string id_b = "00000000-0000-4000-8000-000000000001";

}  // namespace

TEST_CASE("unit: wait is absent or exactly one integer from 1 to 30", "[unit]") {
    CHECK_FALSE(parse_wait("/applications/x/status").present);
    CHECK(parse_wait("/applications/x/status").valid);
    CHECK_FALSE(parse_wait("/applications/x/status?other=1").present);
    for (const auto& [target, seconds] : std::vector<std::pair<std::string, int>>{{"/s?wait=1", 1},
                                                                                  {"/s?wait=30", 30},
                                                                                  {"/s?x=y&wait=5", 5},
                                                                                  {"/s?wait=07&x", 7},
                                                                                  {"/s?w%61it=%32", 2}}) {
        INFO(target);
        const auto w = parse_wait(target);
        CHECK(w.present);
        CHECK(w.valid);
        CHECK(w.wait == std::chrono::seconds{seconds});
    }
    for (const std::string target : {"/s?wait=0", "/s?wait=31", "/s?wait=abc", "/s?wait=-1", "/s?wait=1.5",
                                     "/s?wait=", "/s?wait", "/s?wait=5&wait=5", "/s?wait=+5", "/s?wait=%",
                                     "/s?wait=1e1", "/s?wait=%205", "/s?wait=99999999999999999999"}) {
        INFO(target);
        const auto w = parse_wait(target);
        CHECK(w.present);
        CHECK_FALSE(w.valid);
    }
}

TEST_CASE("unit: a woken waiter returns at once and the others wait for their deadline", "[unit]") {
    core::metrics_registry metrics;
    long_poll_waiters waiters{10, metrics};
    test::run_coro([&]() -> boost::asio::awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto a = waiters.enlist(id_a, ex);
        auto b = waiters.enlist(id_b, ex);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(waiters.size() == 2);
        // Woken before it waits (a decision between registration and the first read): not lost.
        waiters.wake(id_a);
        auto started = steady_clock::now();
        co_await a->wait_until(steady_clock::now() + 10s);
        CHECK(steady_clock::now() - started < 1s);
        // The other id was not woken: it waits for its deadline.
        started = steady_clock::now();
        co_await b->wait_until(steady_clock::now() + 200ms);
        CHECK(steady_clock::now() - started >= 200ms);
        // A wake-up is consumed by the wait it ended.
        started = steady_clock::now();
        co_await a->wait_until(steady_clock::now() + 100ms);
        CHECK(steady_clock::now() - started >= 100ms);
    });
    CHECK(waiters.size() == 0);  // removed on destruction
    CHECK(metrics.get_gauge("long_poll_waiters", "").value() == 0);
}

TEST_CASE("unit: a wake-up during the wait ends it and wake_all reaches every id", "[unit]") {
    core::metrics_registry metrics;
    long_poll_waiters waiters{10, metrics};
    test::run_coro([&]() -> boost::asio::awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto a = waiters.enlist(id_a, ex);
        auto a2 = waiters.enlist(id_a, ex);
        auto b = waiters.enlist(id_b, ex);
        CHECK(metrics.get_gauge("long_poll_waiters", "").value() == 3);
        boost::asio::steady_timer later{ex};
        later.expires_after(50ms);
        later.async_wait([&](boost::system::error_code) { waiters.wake(id_a); });
        const auto started = steady_clock::now();
        co_await a->wait_until(steady_clock::now() + 10s);
        co_await a2->wait_until(steady_clock::now() + 10s);  // both waiters of the id were woken
        CHECK(steady_clock::now() - started < 5s);
        waiters.wake_all();
        co_await b->wait_until(steady_clock::now() + 10s);
        CHECK(steady_clock::now() - started < 5s);
    });
}

TEST_CASE("unit: over the bound or after release no waiter is registered and release wakes every waiter",
          "[unit]") {
    core::metrics_registry metrics;
    long_poll_waiters waiters{2, metrics};
    test::run_coro([&]() -> boost::asio::awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto a = waiters.enlist(id_a, ex);
        auto b = waiters.enlist(id_b, ex);
        CHECK_FALSE(waiters.enlist(id_a, ex));
        CHECK(metrics.get_counter("long_poll_over_capacity_total", "").value() == 1);
        b.reset();  // a slot frees when its request ends
        b = waiters.enlist(id_b, ex);
        CHECK(b);
        boost::asio::steady_timer later{ex};
        later.expires_after(50ms);
        later.async_wait([&](boost::system::error_code) { waiters.release(); });
        const auto started = steady_clock::now();
        co_await a->wait_until(steady_clock::now() + 10s);
        co_await b->wait_until(steady_clock::now() + 10s);
        CHECK(steady_clock::now() - started < 5s);
        CHECK(a->released());
        CHECK_FALSE(waiters.enlist(id_a, ex));  // shutting down: answer at once
        // A released waiter does not wait again.
        const auto again = steady_clock::now();
        co_await a->wait_until(steady_clock::now() + 10s);
        CHECK(steady_clock::now() - again < 1s);
    });
}
