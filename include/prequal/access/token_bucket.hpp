// A token bucket, sans I/O: the caller passes the time, so the whole behaviour is a pure function of the
// calls and is unit-tested without clocks or sleeps. One per API key per replica (contract section 6).
#pragma once

#include <chrono>
#include <cstdint>

namespace prequal::access {

class token_bucket {
public:
    using clock = std::chrono::steady_clock;

    /// What one request gets, with the numbers the RateLimit-* headers and Retry-After show.
    struct decision {
        bool allowed = true;
        std::int64_t limit = 0;        // the capacity (burst)
        std::int64_t remaining = 0;    // whole tokens left after this request
        std::int64_t reset_s = 0;      // whole seconds until the bucket is full again
        std::int64_t retry_after = 0;  // refused: whole seconds (>= 1) until one token is back; else 0
    };

    /// A full bucket refilled at `rate_per_second` (> 0) up to `burst` (>= 1) tokens.
    token_bucket(double rate_per_second, double burst, clock::time_point now);

    /// Takes one token if there is one at `now`. Time going backwards counts as no time passing.
    decision take(clock::time_point now);

    /// New rate and capacity, keeping the tokens accumulated so far (capped at the new capacity).
    void reconfigure(double rate_per_second, double burst, clock::time_point now);

    double rate() const { return rate_; }
    double burst() const { return burst_; }

private:
    void refill(clock::time_point now);

    double rate_;
    double burst_;
    double tokens_;
    clock::time_point last_;
};

}  // namespace prequal::access
