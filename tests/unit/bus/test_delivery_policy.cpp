// The bus's pure rules: stable key → partition mapping, backoff growth and cap, dead-letter reason size.
#include "bus/delivery_policy.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace prequal::bus;
using namespace std::chrono_literals;

TEST_CASE("unit: bus partitioning is FNV-1a and stable across builds", "[unit][bus]") {
    // Published FNV-1a 64-bit test vectors.
    CHECK(detail::fnv1a_64("") == 0xcbf29ce484222325ULL);
    CHECK(detail::fnv1a_64("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(detail::fnv1a_64("foobar") == 0x85944171f73967e8ULL);
    CHECK(detail::partition_of("foobar", 8) == 0x85944171f73967e8ULL % 8);

    std::set<std::size_t> used;
    for (int i = 0; i < 100; ++i) {
        const auto p = detail::partition_of("app-" + std::to_string(i), 8);
        CHECK(p < 8);
        used.insert(p);
    }
    CHECK(used.size() == 8);  // 100 keys reach every partition
}

TEST_CASE("unit: bus backoff doubles from the initial value up to the cap", "[unit][bus]") {
    const retry_policy policy{6, 100ms, 1000ms};
    CHECK(detail::backoff_after(policy, 1) == 100ms);
    CHECK(detail::backoff_after(policy, 2) == 200ms);
    CHECK(detail::backoff_after(policy, 3) == 400ms);
    CHECK(detail::backoff_after(policy, 4) == 800ms);
    CHECK(detail::backoff_after(policy, 5) == 1000ms);
    CHECK(detail::backoff_after(policy, 60) == 1000ms);
    CHECK(detail::max_attempts_of(retry_policy{0, 1ms, 1ms}) == 1);
    CHECK(detail::max_attempts_of(policy) == 6);
}

TEST_CASE("unit: bus dead-letter reason is cut to 500 bytes on a UTF-8 boundary", "[unit][bus]") {
    CHECK(detail::truncate_reason("short") == "short");
    const std::string ascii(1000, 'x');
    CHECK(detail::truncate_reason(ascii).size() == 500);
    // 499 ASCII bytes then a 2-byte character straddling the limit: the character is dropped whole.
    const std::string mixed = std::string(499, 'x') + "\xC3\xA9" + "tail";
    CHECK(detail::truncate_reason(mixed) == std::string(499, 'x'));
}

TEST_CASE("unit: bus dead letter is a first delivery on <topic>_dlq that says why", "[unit][bus]") {
    message m;
    m.topic = "orders";
    m.key = "key-1";
    m.payload = "{}";
    m.headers = {{"message_id", "id-1"}};
    m.delivery_attempt = 4;
    const message dlq = detail::dead_letter_of(m, "billing", std::string(600, 'r'), 4);
    CHECK(dlq.topic == "orders_dlq");
    CHECK(dlq.key == "key-1");
    CHECK(dlq.payload == "{}");
    CHECK(dlq.delivery_attempt == 1);
    REQUIRE(dlq.headers.size() == 4);
    CHECK(dlq.headers[0] == std::pair<std::string, std::string>{"message_id", "id-1"});
    CHECK(dlq.headers[1].first == "dlq_reason");
    CHECK(dlq.headers[1].second == std::string(500, 'r'));
    CHECK(dlq.headers[2] == std::pair<std::string, std::string>{"dlq_group", "billing"});
    CHECK(dlq.headers[3] == std::pair<std::string, std::string>{"dlq_attempts", "4"});
}
