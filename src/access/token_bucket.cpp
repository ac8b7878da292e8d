// token_bucket: tokens accrue continuously; headers round so that a client never waits less than needed.
#include <prequal/access/token_bucket.hpp>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace prequal::access {

namespace {

std::int64_t ceil_seconds(double s) { return static_cast<std::int64_t>(std::ceil(std::max(0.0, s) - 1e-9)); }

}  // namespace

token_bucket::token_bucket(double rate_per_second, double burst, clock::time_point now)
    : rate_{rate_per_second}, burst_{burst}, tokens_{burst}, last_{now} {
    assert(rate_ > 0 && burst_ >= 1);
}

void token_bucket::refill(clock::time_point now) {
    if (now <= last_) return;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
}

token_bucket::decision token_bucket::take(clock::time_point now) {
    refill(now);
    decision d;
    d.limit = static_cast<std::int64_t>(std::floor(burst_));
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
    } else {
        d.allowed = false;
        d.retry_after = std::max<std::int64_t>(1, ceil_seconds((1.0 - tokens_) / rate_));
    }
    d.remaining = static_cast<std::int64_t>(std::floor(tokens_));
    d.reset_s = ceil_seconds((burst_ - tokens_) / rate_);
    return d;
}

void token_bucket::reconfigure(double rate_per_second, double burst, clock::time_point now) {
    assert(rate_per_second > 0 && burst >= 1);
    refill(now);
    rate_ = rate_per_second;
    burst_ = burst;
    tokens_ = std::min(tokens_, burst_);
}

}  // namespace prequal::access
