// pg::circuit_breaker: consecutive-failure counting, jittered exponential cool-down, single half-open probe.
#include <prequal/core/backoff.hpp>
#include <prequal/pg/circuit_breaker.hpp>

#include <algorithm>

namespace prequal::pg {

const char* to_string(circuit_state s) {
    switch (s) {
        case circuit_state::closed:
            return "closed";
        case circuit_state::open:
            return "open";
        case circuit_state::half_open:
            return "half_open";
    }
    return "unknown";
}

circuit_breaker::circuit_breaker(circuit_breaker_options options)
    : options_(options), rng_(std::random_device{}()) {}

bool circuit_breaker::allow_attempt(clock::time_point now) {
    switch (state_) {
        case circuit_state::closed:
            return true;
        case circuit_state::open:
            if (now < reopen_at_) return false;
            transition(circuit_state::half_open);
            probe_in_flight_ = true;
            return true;
        case circuit_state::half_open:
            if (probe_in_flight_) return false;
            probe_in_flight_ = true;
            return true;
    }
    return false;
}

bool circuit_breaker::probe_due(clock::time_point now) const {
    switch (state_) {
        case circuit_state::closed:
            return true;
        case circuit_state::open:
            return now >= reopen_at_;
        case circuit_state::half_open:
            return !probe_in_flight_;
    }
    return false;
}

void circuit_breaker::record_success() {
    consecutive_failures_ = 0;
    failed_probes_ = 0;
    probe_in_flight_ = false;
    if (state_ != circuit_state::closed) transition(circuit_state::closed);
}

void circuit_breaker::record_failure(clock::time_point now) {
    switch (state_) {
        case circuit_state::closed:
            if (++consecutive_failures_ >= options_.failure_threshold) open(now);
            break;
        case circuit_state::half_open:
            probe_in_flight_ = false;
            ++failed_probes_;
            open(now);
            break;
        case circuit_state::open:
            break;  // late reports from connections leased before the circuit opened add nothing
    }
}

void circuit_breaker::record_healthy_use() {
    if (state_ == circuit_state::closed) consecutive_failures_ = 0;
}

void circuit_breaker::open(clock::time_point now) {
    // base · 2^failed_probes, capped (never below base); then "equal jitter" (half fixed, half random) so
    // that replicas which lost the database together do not probe it in lockstep.
    const core::backoff cooldown{
        options_.base_cooldown, std::max(options_.max_cooldown, options_.base_cooldown), core::jitter::equal};
    last_cooldown_ = cooldown.delay<std::chrono::milliseconds>(failed_probes_, rng_);
    reopen_at_ = now + last_cooldown_;
    consecutive_failures_ = 0;
    probe_in_flight_ = false;
    if (state_ != circuit_state::open) transition(circuit_state::open);
}

void circuit_breaker::transition(circuit_state to) {
    state_ = to;
    if (listener_) listener_(to);
}

}  // namespace prequal::pg
