// The delivery state machine's transitions (see delivery_machine.hpp).
#include "delivery_machine.hpp"

#include <stdexcept>

namespace prequal::bus::detail {

delivery_machine::delivery_machine(const retry_policy& policy, std::minstd_rand& rng)
    : backoff_(retry_backoff(policy)), max_attempts_(max_attempts_of(policy)), rng_(rng) {}

std::chrono::microseconds delivery_machine::wait(int step) {
    return backoff_.delay<std::chrono::microseconds>(step, rng_);
}

delivery_decision delivery_machine::on_delivery(delivery_outcome outcome) {
    if (!delivering_) throw std::logic_error("delivery_machine: the message is already settled");
    delivery_decision d;
    d.attempt = attempt_;
    switch (outcome) {
        case delivery_outcome::handled:
            d.action = delivery_action::ack;
            delivering_ = false;
            return d;
        case delivery_outcome::outage:
            // Not the message's fault: wait (capped backoff, growing with this message's outages) and try
            // again without spending an attempt.
            d.action = delivery_action::wait_outage;
            d.first_outage = outage_waits_ == 0;
            d.delay = wait(outage_waits_++);
            return d;
        case delivery_outcome::poison:
            d.action = delivery_action::dead_letter;
            d.cause = dead_letter_cause::poison;
            cause_ = d.cause;
            delivering_ = false;
            return d;
        case delivery_outcome::failed:
            break;
    }
    if (attempt_ >= max_attempts_) {
        d.action = delivery_action::dead_letter;
        d.cause = dead_letter_cause::attempts_exhausted;
        cause_ = d.cause;
        delivering_ = false;
        return d;
    }
    d.action = delivery_action::retry_after;
    d.delay = wait(attempt_ - 1);
    ++attempt_;
    return d;
}

delivery_decision delivery_machine::on_dead_letter_failed() {
    if (cause_ == dead_letter_cause::none)
        throw std::logic_error("delivery_machine: no dead letter was decided");
    // The first failed publish waits two initial backoffs, the next four, … (as before the machine existed).
    ++dead_letter_failures_;
    delivery_decision d;
    d.action = delivery_action::dead_letter;
    d.cause = cause_;
    d.attempt = attempt_;
    d.delay = wait(dead_letter_failures_);
    return d;
}

}  // namespace prequal::bus::detail
