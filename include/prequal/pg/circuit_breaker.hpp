// The pool's circuit breaker: after consecutive connection failures it fails acquire() fast instead of
// letting every caller wait on a dead server, and lets one probe through per (growing, jittered) cool-down.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

namespace prequal::pg {

/// Numeric values are what the db_circuit_state gauge exports.
enum class circuit_state { closed = 0, open = 1, half_open = 2 };

/// "closed", "open" or "half_open" (metric label values, log fields).
const char* to_string(circuit_state s);

struct circuit_breaker_options {
    int failure_threshold = 3;                     // consecutive connection failures that open the circuit
    std::chrono::milliseconds base_cooldown{100};  // first open period; doubles on every failed probe
    std::chrono::milliseconds max_cooldown{5000};
};

/// Pure state machine (no I/O, time passed in), so the pool and tests drive it deterministically.
/// closed → open after `failure_threshold` consecutive failures; open → half_open when the cool-down has
/// passed and a caller asks to attempt (that caller is the single probe); half_open → closed on success,
/// → open with a doubled cool-down on failure.
class circuit_breaker {
public:
    using clock = std::chrono::steady_clock;
    using listener = std::function<void(circuit_state)>;

    explicit circuit_breaker(circuit_breaker_options options = {});

    /// True when a connection attempt may go ahead now. While open this is false until the cool-down
    /// has passed; then it switches to half_open and returns true once (the probe) until the probe resolves.
    bool allow_attempt(clock::time_point now);
    /// Whether allow_attempt(now) would return true, without changing anything.
    bool probe_due(clock::time_point now) const;
    /// A connection attempt (or the probe) succeeded: closes the circuit.
    void record_success();
    /// A connection attempt failed or a leased connection broke.
    void record_failure(clock::time_point now);
    /// A leased connection came back healthy: the database answers, so earlier failures were not consecutive.
    void record_healthy_use();

    circuit_state state() const { return state_; }
    /// The cool-down chosen when the circuit last opened (jittered), for logs and tests.
    std::chrono::milliseconds last_cooldown() const { return last_cooldown_; }
    /// Called after every state change (on the pool's thread).
    void set_listener(listener l) { listener_ = std::move(l); }

private:
    void open(clock::time_point now);
    void transition(circuit_state to);

    circuit_breaker_options options_;
    circuit_state state_ = circuit_state::closed;
    int consecutive_failures_ = 0;
    int failed_probes_ = 0;
    bool probe_in_flight_ = false;
    clock::time_point reopen_at_{};
    std::chrono::milliseconds last_cooldown_{0};
    std::minstd_rand rng_;
    listener listener_;
};

}  // namespace prequal::pg
