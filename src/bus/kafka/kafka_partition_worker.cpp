// A partition's worker: delivers its messages one at a time in offset order, retries a failing one in place
// (blocking the partition, hence its keys) with backoff — a dependency outage waits without spending
// attempts — and dead-letters it after the last attempt, or at once when it is poison. The next offset is
// stored only after that, so commits never pass unfinished work.
#include "../delivery_machine.hpp"
#include "../delivery_policy.hpp"
#include "kafka_consumer.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

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
    detail::delivery_machine machine(options_.retry, jitter_rng_);
    for (;;) {
        item.msg.delivery_attempt = machine.attempt();
        const detail::delivery_result r = co_await detail::deliver_once(handler_, item.msg);
        const detail::delivery_decision next = machine.on_delivery(r.outcome);
        report_->delivery(item.msg, r, next);
        if (next.action == detail::delivery_action::ack) co_return true;
        if (next.action == detail::delivery_action::dead_letter)
            co_return co_await dead_letter(p, item, r.reason, machine, epoch);
        // retry_after or wait_outage: the same wait, on the partition's own timer.
        if (abandoned(p, epoch)) co_return false;
        p.backoff.expires_after(next.delay);
        co_await park(p.backoff);
        if (abandoned(p, epoch)) co_return false;
    }
}

asio::awaitable<bool> consumer::dead_letter(partition_state& p, const queued_message& item,
                                            const std::string& reason, detail::delivery_machine& machine,
                                            std::uint64_t epoch) {
    const int attempts = machine.attempt();
    message dlq = detail::dead_letter_of(item.msg, group_, reason, attempts);
    dlq.set_header("dlq_partition", std::to_string(p.id));
    dlq.set_header("dlq_offset", std::to_string(item.offset));
    for (;;) {
        std::string failure;
        try {
            co_await dead_letters_->produce(dlq);
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (failure.empty()) {
            report_->dead_lettered(item.msg, attempts, reason);
            co_return true;
        }
        // Not acknowledged without its dead letter: keep the partition blocked and try again.
        report_->dead_letter_publish_failed(dlq.topic, failure);
        if (abandoned(p, epoch)) co_return false;
        p.backoff.expires_after(machine.on_dead_letter_failed().delay);
        co_await park(p.backoff);
        if (abandoned(p, epoch)) co_return false;
    }
}

}  // namespace prequal::bus::kafka
