// token_bucket: burst, refill, refusal with Retry-After, header numbers, reconfiguration; time is passed in.
#include <prequal/access/token_bucket.hpp>

#include <catch2/catch.hpp>

using prequal::access::token_bucket;
using namespace std::chrono_literals;

namespace {
const token_bucket::clock::time_point t0{};
}

TEST_CASE("unit: access: token bucket: a full bucket admits its burst, then refuses", "[unit][pure]") {
    token_bucket b{1.0, 3.0, t0};
    auto d1 = b.take(t0);
    CHECK(d1.allowed);
    CHECK(d1.limit == 3);
    CHECK(d1.remaining == 2);
    CHECK(d1.reset_s == 1);
    CHECK(b.take(t0).remaining == 1);
    auto d3 = b.take(t0);
    CHECK(d3.allowed);
    CHECK(d3.remaining == 0);
    CHECK(d3.reset_s == 3);
    auto refused = b.take(t0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.remaining == 0);
    CHECK(refused.retry_after == 1);
    CHECK(refused.limit == 3);
}

TEST_CASE("unit: access: token bucket: tokens come back at the rate, never above the burst", "[unit][pure]") {
    token_bucket b{2.0, 2.0, t0};
    CHECK(b.take(t0).allowed);
    CHECK(b.take(t0).allowed);
    CHECK_FALSE(b.take(t0).allowed);
    CHECK_FALSE(b.take(t0 + 400ms).allowed);  // 0.8 tokens
    CHECK(b.take(t0 + 500ms).allowed);        // 1.0 token
    auto full = b.take(t0 + 1h);              // capped at 2, one taken
    CHECK(full.allowed);
    CHECK(full.remaining == 1);
}

TEST_CASE("unit: access: token bucket: Retry-After is whole seconds, at least 1, long enough",
          "[unit][pure]") {
    token_bucket slow{0.25, 1.0, t0};  // one request every 4 s
    CHECK(slow.take(t0).allowed);
    auto r = slow.take(t0);
    CHECK_FALSE(r.allowed);
    CHECK(r.retry_after == 4);
    CHECK_FALSE(slow.take(t0 + 3900ms).allowed);
    CHECK(slow.take(t0 + 4s).allowed);

    token_bucket fast{1000.0, 1.0, t0};
    CHECK(fast.take(t0).allowed);
    auto f = fast.take(t0);
    CHECK_FALSE(f.allowed);
    CHECK(f.retry_after == 1);  // 1 ms rounds up to the minimum
}

TEST_CASE("unit: access: token bucket: time going backwards adds nothing", "[unit][pure]") {
    token_bucket b{1.0, 1.0, t0 + 10s};
    CHECK(b.take(t0 + 10s).allowed);
    CHECK_FALSE(b.take(t0).allowed);
    CHECK_FALSE(b.take(t0 + 10s).allowed);
    CHECK(b.take(t0 + 11s).allowed);
}

TEST_CASE("unit: access: token bucket: reconfigure keeps the tokens, capped at the new burst",
          "[unit][pure]") {
    token_bucket b{1.0, 10.0, t0};
    b.reconfigure(1.0, 2.0, t0);
    CHECK(b.burst() == 2.0);
    CHECK(b.take(t0).remaining == 1);
    CHECK(b.take(t0).allowed);
    CHECK_FALSE(b.take(t0).allowed);
    b.reconfigure(100.0, 2.0, t0);
    CHECK(b.take(t0 + 10ms).allowed);
}
