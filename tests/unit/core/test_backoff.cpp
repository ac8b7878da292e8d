// core::backoff: doubling per step, the cap, both jitter shapes' bounds, and no overflow or long loop for
// huge steps.
#include <prequal/core/backoff.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <climits>
#include <random>
#include <set>

using namespace std::chrono_literals;
using prequal::core::backoff;
using prequal::core::jitter;

TEST_CASE("unit: backoff doubles per step from the initial delay", "[unit][core]") {
    const backoff b{100ms, 10s, jitter::none};
    CHECK(b.ceiling(0) == 100ms);
    CHECK(b.ceiling(1) == 200ms);
    CHECK(b.ceiling(2) == 400ms);
    CHECK(b.ceiling(3) == 800ms);
    CHECK(b.ceiling(6) == 6400ms);
    CHECK(b.ceiling(-5) == 100ms);  // a negative step is step 0
    static_assert(backoff{1ms, 1s}.ceiling(3) == 8ms, "usable in constant expressions");
}

TEST_CASE("unit: backoff stops at the cap", "[unit][core]") {
    const backoff b{100ms, 1000ms, jitter::none};
    CHECK(b.ceiling(3) == 800ms);
    CHECK(b.ceiling(4) == 1000ms);  // 1600 ms capped
    CHECK(b.ceiling(60) == 1000ms);
    // A cap below the initial delay wins; a cap that is not a power-of-two multiple is reached exactly.
    CHECK((backoff{500ms, 300ms}.ceiling(0)) == 300ms);
    CHECK((backoff{100ms, 250ms}.ceiling(2)) == 250ms);
    // No delay configured means no delay, whatever the step.
    CHECK((backoff{0ms, 1s}.ceiling(10)) == 0ms);
    CHECK((backoff{-5ms, 1s}.ceiling(10)) == 0ms);
}

TEST_CASE("unit: backoff is exact and quick for huge steps, without overflow", "[unit][core]") {
    const auto huge_cap = std::chrono::milliseconds{LLONG_MAX};
    const backoff b{1ms, huge_cap, jitter::none};
    CHECK(b.ceiling(62) == std::chrono::milliseconds{1LL << 62});
    CHECK(b.ceiling(63) == huge_cap);  // 2^63 would overflow: the cap is taken instead
    CHECK(b.ceiling(INT_MAX) == huge_cap);
    CHECK((backoff{100ms, 5s}.ceiling(INT_MAX)) == 5s);
    CHECK((backoff{7ms, std::chrono::milliseconds{LLONG_MAX - 1}}.ceiling(INT_MAX)) ==
          std::chrono::milliseconds{LLONG_MAX - 1});
}

TEST_CASE("unit: backoff jitter stays within its bounds and varies", "[unit][core]") {
    std::minstd_rand rng(42);
    SECTION("up to a tenth more, never less than the ceiling") {
        const backoff b{100ms, 5s, jitter::up_to_tenth};
        std::set<std::chrono::microseconds::rep> seen;
        for (int step = 0; step < 8; ++step)
            for (int i = 0; i < 200; ++i) {
                const std::chrono::microseconds d = b.delay<std::chrono::microseconds>(step, rng);
                const std::chrono::microseconds ceiling = b.ceiling(step);
                CHECK(d >= ceiling);
                CHECK(d <= ceiling + ceiling / 10);
                if (step == 0) seen.insert(d.count());
            }
        CHECK(seen.size() > 50);  // 200 draws from 10001 values: not a constant
    }
    SECTION("equal jitter: between half and all of the ceiling") {
        const backoff b{100ms, 400ms, jitter::equal};
        std::set<std::chrono::milliseconds::rep> seen;
        for (int step = 0; step < 5; ++step)
            for (int i = 0; i < 200; ++i) {
                const auto d = b.delay<std::chrono::milliseconds>(step, rng);
                const auto ceiling = b.ceiling(step);
                CHECK(d >= ceiling - ceiling / 2);
                CHECK(d <= ceiling);
                if (step == 0) seen.insert(d.count());
            }
        CHECK(seen.size() > 20);
    }
    SECTION("no jitter is the ceiling itself") {
        const backoff b{100ms, 5s, jitter::none};
        CHECK(b.delay<std::chrono::microseconds>(2, rng) == 400ms);
    }
    SECTION("a zero delay stays zero under every jitter") {
        for (const jitter j : {jitter::none, jitter::up_to_tenth, jitter::equal})
            CHECK((backoff{0ms, 1s, j}.delay<std::chrono::microseconds>(3, rng)) == 0us);
    }
}
