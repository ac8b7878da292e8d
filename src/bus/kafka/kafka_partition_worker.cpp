// A partition's worker: delivers its messages one at a time in offset order, retries a failing one in place
// (blocking the partition, hence its keys) with backoff — a dependency outage waits without spending
// attempts — and dead-letters it after the last attempt, or at once when it is poison. The next offset is
// stored only after that, so commits never pass unfinished work.
#include "kafka_consumer.hpp"

#include "../delivery_policy.hpp"

#include <prequal/bus/envelope.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

namespace prequal::bus::kafka {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> park(asio::steady_timer& t) {
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

asio::awaitable<void> consumer::work(std::shared_ptr<consumer> self, partition_state* p) {
    while (!stopping_ && !p->queue.empty()) {
        while (in_flight_ >= options_.max_in_flight_per_group && !stopping_) co_await park(slot_free_);
        // A revocation may have emptied the queue while this worker waited for a slot: pass the wake-up on,
        // or another waiting worker would sleep through a free slot.
        if (stopping_ || p->queue.empty()) {
            if (in_flight_ < options_.max_in_flight_per_group) slot_free_.cancel_one();
            break;
        }
        ++in_flight_;
        queued_message item = std::move(p->queue.front());
        p->queue.pop_front();
        if (p->paused && p->assigned && p->queue.size() <= options_.max_buffered / 2) set_paused(*p, false);
        const std::uint64_t epoch = p->epoch;
        const bool acknowledged = co_await deliver(*p, item, epoch);
        --in_flight_;
        slot_free_.cancel_one();
        // Only while the partition is still ours under the same assignment; otherwise its next owner (maybe
        // us again) redelivers from the committed offset.
        if (acknowledged && p->assigned && p->epoch == epoch) store_offset(*p, item.offset + 1);
        finished_one();
    }
    p->worker_running = false;
    // The poll loop closes the consumer once stopping and no worker is left.
    if (--live_workers_ == 0 && stopping_) waker_->cancel();
}

void consumer::finished_one() {
    --buffered_;
    depth_->add(-1);
}

asio::awaitable<bool> consumer::deliver(partition_state& p, queued_message& item, std::uint64_t epoch) {
    const int max_attempts = detail::max_attempts_of(options_.retry);
    int outage_retries = 0;
    for (int attempt = 1;; ++attempt) {
        item.msg.delivery_attempt = attempt;
        const detail::delivery_result r = co_await detail::deliver_once(handler_, item.msg);
        const std::string& reason = r.reason;
        if (r.outcome == detail::delivery_outcome::handled) {
            delivered_->inc();
            co_return true;
        }
        failures_->inc();
        if (r.outcome == detail::delivery_outcome::outage) {
            // Not the message's fault: wait (capped backoff) and try again without spending an attempt.
            if (outage_retries++ == 0)
                log_.warn("dependency unavailable; pausing this partition until it recovers",
                          {{"topic", topic_}, {"group", group_}, {"reason", reason}});
            --attempt;
            if (abandoned(p, epoch)) co_return false;
            p.backoff.expires_after(backoff_delay(std::min(outage_retries, 30)));
            co_await park(p.backoff);
            if (abandoned(p, epoch)) co_return false;
            continue;
        }
        const auto attempt_text = std::to_string(attempt);
        log_.warn("message handler failed", {{"topic", topic_},
                                             {"group", group_},
                                             {"key", item.msg.key},
                                             {"attempt", attempt_text},
                                             {"reason", reason}});
        // Retrying a message that can never be decoded only delays the ones behind it.
        if (r.outcome == detail::delivery_outcome::poison || attempt >= max_attempts)
            co_return co_await dead_letter(p, item, reason, attempt, epoch);
        if (abandoned(p, epoch)) co_return false;
        p.backoff.expires_after(backoff_delay(attempt));
        co_await park(p.backoff);
        if (abandoned(p, epoch)) co_return false;
    }
}

asio::awaitable<bool> consumer::dead_letter(partition_state& p, const queued_message& item, const std::string& reason,
                                            int attempts, std::uint64_t epoch) {
    message dlq = item.msg;
    dlq.topic = dlq_topic(topic_);
    dlq.delivery_attempt = 1;
    dlq.set_header("dlq_reason", detail::truncate_reason(reason));
    dlq.set_header("dlq_group", group_);
    dlq.set_header("dlq_attempts", std::to_string(attempts));
    dlq.set_header("dlq_partition", std::to_string(p.id));
    dlq.set_header("dlq_offset", std::to_string(item.offset));
    const auto attempts_text = std::to_string(attempts);
    for (int publish_attempt = 1;; ++publish_attempt) {
        std::string failure;
        try {
            co_await dead_letters_->produce(dlq);
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (failure.empty()) {
            dead_lettered_->inc();
            log_.error("message dead-lettered", {{"topic", topic_},
                                                 {"group", group_},
                                                 {"key", item.msg.key},
                                                 {"attempts", attempts_text},
                                                 {"reason", reason}});
            co_return true;
        }
        // Not acknowledged without its dead letter: keep the partition blocked and try again.
        log_.error("dead-letter publish failed", {{"topic", dlq.topic}, {"group", group_}, {"error", failure}});
        if (abandoned(p, epoch)) co_return false;
        p.backoff.expires_after(backoff_delay(publish_attempt + 1));
        co_await park(p.backoff);
        if (abandoned(p, epoch)) co_return false;
    }
}

std::chrono::microseconds consumer::backoff_delay(int failed_attempt) {
    const std::chrono::microseconds base = detail::backoff_after(options_.retry, failed_attempt);
    // Up to +10 % so partitions that failed together (e.g. the database was down) retry apart.
    std::uniform_int_distribution<std::chrono::microseconds::rep> jitter(0, base.count() / 10);
    return base + std::chrono::microseconds(jitter(jitter_rng_));
}

}  // namespace prequal::bus::kafka
