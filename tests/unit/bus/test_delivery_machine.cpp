// The delivery state machine both buses drive, transition by transition: pure, no bus, timer or database.
#include "bus/delivery_machine.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>

using namespace prequal::bus;
using namespace prequal::bus::detail;
using namespace std::chrono_literals;

namespace {

const retry_policy policy{3, 100ms, 1000ms};

// `d` lies within the +0..10 % jitter of `ceiling`.
void check_jittered(std::chrono::microseconds d, std::chrono::microseconds ceiling) {
    CHECK(d >= ceiling);
    CHECK(d <= ceiling + ceiling / 10);
}

}  // namespace

TEST_CASE("unit: delivery machine acknowledges a handled delivery", "[unit][bus]") {
    std::minstd_rand rng(1);
    delivery_machine m(policy, rng);
    CHECK(m.attempt() == 1);
    const auto d = m.on_delivery(delivery_outcome::handled);
    CHECK(d.action == delivery_action::ack);
    CHECK(d.attempt == 1);
    CHECK(d.delay == 0us);
    CHECK(d.cause == dead_letter_cause::none);
    // Settled: nothing more may be reported.
    CHECK_THROWS_AS(m.on_delivery(delivery_outcome::handled), std::logic_error);
    CHECK_THROWS_AS(m.on_dead_letter_failed(), std::logic_error);
}

TEST_CASE("unit: delivery machine retries a failure with growing backoff, then dead-letters", "[unit][bus]") {
    std::minstd_rand rng(2);
    delivery_machine m(policy, rng);
    auto d = m.on_delivery(delivery_outcome::failed);
    CHECK(d.action == delivery_action::retry_after);
    CHECK(d.attempt == 1);
    check_jittered(d.delay, 100ms);
    CHECK(m.attempt() == 2);

    d = m.on_delivery(delivery_outcome::failed);
    CHECK(d.action == delivery_action::retry_after);
    CHECK(d.attempt == 2);
    check_jittered(d.delay, 200ms);
    CHECK(m.attempt() == 3);

    d = m.on_delivery(delivery_outcome::failed);  // the third and last attempt
    CHECK(d.action == delivery_action::dead_letter);
    CHECK(d.cause == dead_letter_cause::attempts_exhausted);
    CHECK(d.attempt == 3);
    CHECK(m.attempt() == 3);
    CHECK_THROWS_AS(m.on_delivery(delivery_outcome::failed), std::logic_error);
}

TEST_CASE("unit: delivery machine succeeds after a retry", "[unit][bus]") {
    std::minstd_rand rng(3);
    delivery_machine m(policy, rng);
    CHECK(m.on_delivery(delivery_outcome::failed).action == delivery_action::retry_after);
    const auto d = m.on_delivery(delivery_outcome::handled);
    CHECK(d.action == delivery_action::ack);
    CHECK(d.attempt == 2);
}

TEST_CASE("unit: delivery machine dead-letters poison at once", "[unit][bus]") {
    std::minstd_rand rng(4);
    delivery_machine first(policy, rng);
    auto d = first.on_delivery(delivery_outcome::poison);
    CHECK(d.action == delivery_action::dead_letter);
    CHECK(d.cause == dead_letter_cause::poison);
    CHECK(d.attempt == 1);

    // Also after failed attempts: the attempts spent so far are reported.
    delivery_machine later(policy, rng);
    later.on_delivery(delivery_outcome::failed);
    d = later.on_delivery(delivery_outcome::poison);
    CHECK(d.action == delivery_action::dead_letter);
    CHECK(d.cause == dead_letter_cause::poison);
    CHECK(d.attempt == 2);
}

TEST_CASE("unit: delivery machine waits out an outage without spending attempts", "[unit][bus]") {
    std::minstd_rand rng(5);
    delivery_machine m(policy, rng);
    auto d = m.on_delivery(delivery_outcome::outage);
    CHECK(d.action == delivery_action::wait_outage);
    CHECK(d.first_outage);
    CHECK(d.attempt == 1);
    check_jittered(d.delay, 100ms);
    CHECK(m.attempt() == 1);

    // Longer and longer, up to max_backoff, and logged once: far more outages than max_attempts.
    for (int i = 2; i <= 40; ++i) {
        d = m.on_delivery(delivery_outcome::outage);
        CHECK(d.action == delivery_action::wait_outage);
        CHECK_FALSE(d.first_outage);
        CHECK(m.attempt() == 1);
        if (i == 2) check_jittered(d.delay, 200ms);
        if (i == 40) check_jittered(d.delay, 1000ms);
    }
    // The outage ends; a failure now is still attempt 1 of 3.
    d = m.on_delivery(delivery_outcome::failed);
    CHECK(d.action == delivery_action::retry_after);
    CHECK(d.attempt == 1);
    check_jittered(d.delay, 100ms);
    // A later outage is not the message's first: no second log line.
    d = m.on_delivery(delivery_outcome::outage);
    CHECK(d.action == delivery_action::wait_outage);
    CHECK_FALSE(d.first_outage);
    CHECK(m.attempt() == 2);
    CHECK(m.on_delivery(delivery_outcome::handled).attempt == 2);
}

TEST_CASE("unit: delivery machine backs off a failed dead-letter publish", "[unit][bus]") {
    std::minstd_rand rng(6);
    delivery_machine m(policy, rng);
    CHECK_THROWS_AS(m.on_dead_letter_failed(), std::logic_error);  // nothing to dead-letter yet
    REQUIRE(m.on_delivery(delivery_outcome::poison).action == delivery_action::dead_letter);
    auto d = m.on_dead_letter_failed();
    CHECK(d.action == delivery_action::dead_letter);
    CHECK(d.cause == dead_letter_cause::poison);
    CHECK(d.attempt == 1);
    check_jittered(d.delay, 200ms);  // two initial backoffs first, then doubling to the cap
    check_jittered(m.on_dead_letter_failed().delay, 400ms);
    check_jittered(m.on_dead_letter_failed().delay, 800ms);
    check_jittered(m.on_dead_letter_failed().delay, 1000ms);
}

TEST_CASE("unit: delivery machine allows one attempt at least", "[unit][bus]") {
    std::minstd_rand rng(7);
    delivery_machine m(retry_policy{0, 100ms, 1000ms}, rng);
    const auto d = m.on_delivery(delivery_outcome::failed);
    CHECK(d.action == delivery_action::dead_letter);
    CHECK(d.cause == dead_letter_cause::attempts_exhausted);
    CHECK(d.attempt == 1);
}
