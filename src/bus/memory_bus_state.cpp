// The in-memory bus's queues and consumers: enqueue with back-pressure, one consumer coroutine per
// partition with redelivery, backoff and dead-lettering. Everything here runs on the bus strand.
#include "memory_bus_state.hpp"

#include "delivery_machine.hpp"
#include "delivery_policy.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <stdexcept>
#include <utility>

namespace prequal::bus::detail {

namespace asio = boost::asio;

namespace {

[[noreturn]] void throw_stopped() {
    throw boost::system::system_error(asio::error::shut_down, "message bus stopped");
}

/// Parks until `t` is cancelled (or expires, for the backoff timer). Never throws on cancellation.
asio::awaitable<void> park(asio::steady_timer& t) {
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

/// Keeps partition::waiting_publishers right even when a parked publisher is cancelled.
struct waiting_guard {
    explicit waiting_guard(partition& p) : p_(p) { ++p_.waiting_publishers; }
    ~waiting_guard() { --p_.waiting_publishers; }
    waiting_guard(const waiting_guard&) = delete;
    waiting_guard& operator=(const waiting_guard&) = delete;
    partition& p_;
};

void pop_head(bus_state& s, topic_state& t, partition& p) {
    p.queue.pop_front();
    --s.queued;
    t.depth->add(-1);
    if (p.waiting_publishers > 0) p.not_full.cancel_one();
}

/// Publishes the failed head to `<topic>_dlq`. Returns false when the bus stopped first (the message then
/// stays queued and dies with the process, like any other unacknowledged message).
asio::awaitable<bool> dead_letter(std::shared_ptr<bus_state> self, const group_state& g, const message& m,
                                  const std::string& reason, int attempts) {
    try {
        co_await enqueue(self, dead_letter_of(m, g.name, reason, attempts));
    } catch (const std::exception&) {
        co_return false;  // only a stop gets here; the caller leaves the message queued
    }
    g.report->dead_lettered(m, attempts, reason);
    co_return true;
}

/// Delivers the partition's messages one at a time, in order, until the bus stops. A failing head is
/// retried in place (blocking the partition, hence its keys) until it succeeds or is dead-lettered.
asio::awaitable<void> consume(std::shared_ptr<bus_state> self, topic_state* t, group_state* g, partition* p) {
    bus_state& s = *self;
    for (;;) {
        while (!s.stopping && p->queue.empty()) co_await park(p->not_empty);
        if (s.stopping) co_return;

        // References into a deque survive push_back, and only this coroutine pops.
        message& m = p->queue.front();
        delivery_machine machine(s.options.retry, s.jitter_rng);
        for (;;) {
            m.delivery_attempt = machine.attempt();
            const delivery_result r = co_await deliver_once(g->handle, m);
            const delivery_decision next = machine.on_delivery(r.outcome);
            g->report->delivery(m, r, next);
            if (next.action == delivery_action::ack) break;
            if (next.action == delivery_action::dead_letter) {
                if (!co_await dead_letter(self, *g, m, r.reason, next.attempt)) co_return;
                break;
            }
            // retry_after or wait_outage: the same wait, on the partition's own timer.
            if (s.stopping) co_return;
            p->backoff.expires_after(next.delay);
            co_await park(p->backoff);
            if (s.stopping) co_return;
        }
        pop_head(s, *t, *p);
    }
}

}  // namespace

partition::partition(const asio::any_io_executor& ex)
    : not_empty(ex, asio::steady_timer::time_point::max()),
      not_full(ex, asio::steady_timer::time_point::max()),
      backoff(ex) {}

bus_state::bus_state(asio::any_io_executor ex, memory_bus_options opts, core::logger logger,
                     core::metrics_registry& registry)
    : strand(asio::make_strand(ex)),
      options(std::move(opts)),
      log(std::move(logger)),
      metrics(registry),
      consumers_done(strand, asio::steady_timer::time_point::max()),
      jitter_rng(std::random_device{}()) {
    if (options.partitions == 0) options.partitions = 1;
    if (options.partition_capacity == 0) options.partition_capacity = 1;
}

topic_state& bus_state::topic(const std::string& name) {
    auto it = topics.find(name);
    if (it != topics.end()) return *it->second;
    auto t = std::make_unique<topic_state>();
    t->name = name;
    t->published = &published_counter(metrics, name);
    return *topics.emplace(name, std::move(t)).first->second;
}

void bus_state::add_group(const std::string& topic_name, std::string group, handler h) {
    topic_state& t = topic(topic_name);
    for (const auto& g : t.groups)
        if (g->name == group) throw std::logic_error("memory bus: group " + group + " already subscribed");
    auto g = std::make_unique<group_state>();
    g->report.emplace(metrics, log, topic_name, group);
    g->name = std::move(group);
    g->handle = std::move(h);
    for (std::size_t i = 0; i < options.partitions; ++i)
        g->partitions.push_back(std::make_unique<partition>(strand));
    if (t.depth == nullptr) t.depth = &queue_depth_gauge(metrics, topic_name);
    t.groups.push_back(std::move(g));
}

void bus_state::halt() {
    stop_requested = true;
    if (stopping) return;
    stopping = true;
    for (auto& [name, t] : topics)
        for (auto& g : t->groups)
            for (auto& p : g->partitions) {
                p->not_empty.cancel();
                p->not_full.cancel();
                p->backoff.cancel();
            }
    consumers_done.cancel();
}

asio::awaitable<void> enqueue(std::shared_ptr<bus_state> self, message msg) {
    bus_state& s = *self;
    if (s.stopping) throw_stopped();
    topic_state& t = s.topic(msg.topic);
    // Groups only change before run() (subscriptions precede publishing), so the count is stable.
    const std::size_t groups = t.groups.size();
    if (groups == 0) {
        if (t.dropped == nullptr)
            t.dropped = &s.metrics.get_counter("bus_messages_dropped_total",
                                               "Messages published to a topic without any consumer group.",
                                               {{"topic", t.name}});
        t.dropped->inc();
        t.published->inc();
        co_return;
    }
    for (std::size_t i = 0; i < groups; ++i) {
        group_state& g = *t.groups[i];
        // NOLINTNEXTLINE(bugprone-use-after-move): msg is moved only in the last turn of this loop (below).
        partition& p = *g.partitions[partition_of(msg.key, g.partitions.size())];
        const std::size_t capacity = s.options.partition_capacity;
        if (p.queue.size() >= capacity || p.waiting_publishers > 0) {
            // Queue behind earlier waiters (cancel_one wakes the oldest), so no publisher starves.
            waiting_guard guard(p);
            bool first = true;
            while (!s.stopping && (first || p.queue.size() >= capacity)) {
                first = false;
                co_await park(p.not_full);
            }
            if (s.stopping) throw_stopped();
        }
        if (i + 1 == groups)
            p.queue.push_back(std::move(msg));
        else
            p.queue.push_back(msg);
        ++s.queued;
        t.depth->add(1);
        p.not_empty.cancel();
        // Several slots may have freed while we were parked: pass the turn on.
        if (p.waiting_publishers > 0 && p.queue.size() < capacity) p.not_full.cancel_one();
    }
    t.published->inc();
}

asio::awaitable<void> run_consumers(std::shared_ptr<bus_state> self) {
    bus_state& s = *self;
    if (s.started.exchange(true)) throw std::logic_error("memory bus: run() called twice");
    // Cancelling run() means "stop", but it still waits for in-flight handlers, like stop() does.
    co_await asio::this_coro::throw_if_cancelled(false);
    if (!s.stopping) {
        for (auto& [name, t] : s.topics)
            for (auto& g : t->groups)
                for (auto& p : g->partitions) {
                    ++s.live_consumers;
                    asio::co_spawn(s.strand, consume(self, t.get(), g.get(), p.get()),
                                   [self](std::exception_ptr e) {
                                       if (e) self->log.error("memory bus consumer ended with an exception");
                                       if (--self->live_consumers == 0) self->consumers_done.cancel();
                                   });
                }
    }
    while (!s.stopping || s.live_consumers > 0) {
        co_await park(s.consumers_done);
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
            s.halt();
    }
}

}  // namespace prequal::bus::detail
