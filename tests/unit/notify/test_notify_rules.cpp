// The notify module's pure parts: the retry delays of contract section 7 and the per-receiver and overall
// bounds on concurrent attempts.
#include <prequal/notify/host_slots.hpp>
#include <prequal/notify/retry_policy.hpp>
#include <prequal/notify/webhook_admin.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <set>

using namespace prequal::notify;
using std::chrono::milliseconds;

TEST_CASE("unit: notify: retries wait 1 s doubling per failure, capped at 10 min, with up to 10 % jitter",
          "[unit]") {
    std::mt19937_64 rng{42};
    const std::vector<std::pair<int, long>> nominal{{1, 1000},    {2, 2000},    {3, 4000},    {4, 8000},
                                                    {10, 512000}, {11, 600000}, {50, 600000}, {1000, 600000}};
    for (const auto& [failures, ms] : nominal) {
        for (int i = 0; i < 50; ++i) {
            const auto d = retry_delay(failures, rng);
            INFO(failures << " failures: " << d.count() << " ms");
            CHECK(d >= milliseconds{ms});
            CHECK(d <= milliseconds{ms + ms / 10});
        }
    }
    std::set<long> distinct;
    for (int i = 0; i < 20; ++i) distinct.insert(retry_delay(3, rng).count());
    CHECK(distinct.size() > 1);  // jittered: replicas that failed together retry apart
}

TEST_CASE("unit: notify: attempts are bounded per receiver and overall", "[unit]") {
    host_slots s{5, 2};
    CHECK(s.try_acquire("a:443"));
    CHECK(s.try_acquire("a:443"));
    CHECK_FALSE(s.try_acquire("a:443"));  // the receiver's share is used up ...
    CHECK(s.host_full("a:443"));
    CHECK(s.try_acquire("b:443"));  // ... others go on
    CHECK(s.try_acquire("b:443"));
    CHECK(s.try_acquire("c:443"));
    CHECK_FALSE(s.try_acquire("d:443"));  // the total is used up
    CHECK(s.free_total() == 0);
    s.release("a:443");
    CHECK_FALSE(s.host_full("a:443"));
    CHECK(s.try_acquire("d:443"));
    s.release("nobody:1");  // releasing what was never taken changes nothing
    CHECK(s.in_use() == 5);
}

TEST_CASE("unit: notify: signing secrets are fresh, URL-safe and prefixed", "[unit]") {
    const std::string a = new_secret(), b = new_secret();
    CHECK(a != b);
    CHECK(a.starts_with("whsec_"));
    CHECK(a.size() == 6 + 43);  // 32 bytes, base64url without padding
    CHECK(a.find_first_not_of("whsec_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") ==
          std::string::npos);
}
