// The delivery state machine both buses drive: from one message's first delivery to its acknowledgement or
// dead letter. Sans-I/O: the bus delivers, reports how the delivery ended and carries out the decision
// (acknowledge, wait then redeliver, publish the dead letter); the rules — what counts as an attempt, when
// to give up, how long to wait — live here once, testable without a bus, a timer or a database.
#pragma once

#include "delivery_policy.hpp"

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/backoff.hpp>

#include <chrono>
#include <random>

namespace prequal::bus::detail {

enum class delivery_action {
    ack,          // handled: acknowledge
    retry_after,  // the handler failed: redeliver after `delay`, as the next attempt
    wait_outage,  // a dependency is down: redeliver after `delay` without spending an attempt
    dead_letter,  // give up: publish the dead letter, then acknowledge
};

enum class dead_letter_cause {
    none,
    poison,              // retrying a message that can never be decoded only delays the ones behind it
    attempts_exhausted,  // the last attempt allowed by the retry policy failed
};

struct delivery_decision {
    delivery_action action = delivery_action::ack;
    std::chrono::microseconds delay{0};  // retry_after and wait_outage: the jittered wait
    int attempt = 1;                     // the delivery attempt that just ended (1-based); for a dead letter,
                                         // the attempts spent
    dead_letter_cause cause = dead_letter_cause::none;
    bool first_outage = false;  // wait_outage: the message's first outage (one log line, not one per wait)
};

/// One message's deliveries. States: delivering (attempt n) → settled (acknowledged) | dead-lettering.
/// `attempt()` is the number to stamp on the next delivery (message::delivery_attempt).
class delivery_machine {
public:
    /// `rng` draws the jitter; it must outlive the machine (the bus owns one per strand).
    delivery_machine(const retry_policy& policy, std::minstd_rand& rng);

    int attempt() const { return attempt_; }

    /// The decision after the delivery numbered attempt() ended as `outcome`. Not to be called once the
    /// machine has decided ack or dead_letter.
    delivery_decision on_delivery(delivery_outcome outcome);

    /// After a dead_letter decision, the dead letter could not be published (Kafka): how long to wait before
    /// publishing it again. The message stays unacknowledged meanwhile, keeping its partition blocked.
    delivery_decision on_dead_letter_failed();

private:
    std::chrono::microseconds wait(int step);

    core::backoff backoff_;
    int max_attempts_;
    std::minstd_rand& rng_;
    int attempt_ = 1;
    int outage_waits_ = 0;
    int dead_letter_failures_ = 0;
    bool delivering_ = true;
    dead_letter_cause cause_ = dead_letter_cause::none;  // set once the machine decided to dead-letter
};

}  // namespace prequal::bus::detail
