// The consumer's poll loop, rebalance handling, offset store/commit and close. Every librdkafka callback
// arrives inside rd_kafka_consumer_poll(rk, 0) or rd_kafka_queue_poll(q, 0) called here, on the bus strand.
#include "kafka_consumer.hpp"

#include "kafka_stats.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

namespace prequal::bus::kafka {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

property_list consumer_defaults(const kafka_bus_options& o) {
    return {{"bootstrap.servers", o.brokers},
            {"client.id", o.client_id},
            {"partition.assignment.strategy", "cooperative-sticky"},
            {"auto.offset.reset", "earliest"},
            {"enable.partition.eof", "false"},
            {"statistics.interval.ms", std::to_string(o.stats_interval.count())}};
}

// Not overridable: acknowledging only after the handler (at-least-once) depends on them.
property_list consumer_enforced(const std::string& group) {
    return {{"group.id", group}, {"enable.auto.commit", "false"}, {"enable.auto.offset.store", "false"}};
}

// The poll loop also runs on this cadence without events, to stay well inside max.poll.interval.ms.
constexpr auto idle_poll = 500ms;
constexpr int poll_budget = 256;

}  // namespace

consumer::partition_state::partition_state(const asio::any_io_executor& ex, std::int32_t partition_id)
    : id(partition_id), backoff(ex) {}

consumer::consumer(asio::any_io_executor strand, kafka_bus_options options, std::string topic,
                   std::string group, handler h, std::shared_ptr<producer> dead_letters, core::logger log,
                   core::metrics_registry& metrics, std::atomic<std::size_t>& buffered)
    : strand_(std::move(strand)),
      options_(std::move(options)),
      topic_(std::move(topic)),
      group_(std::move(group)),
      handler_(std::move(h)),
      dead_letters_(std::move(dead_letters)),
      log_(std::move(log)),
      metrics_(metrics),
      buffered_(buffered),
      slot_free_(strand_, asio::steady_timer::time_point::max()),
      closed_signal_(strand_, asio::steady_timer::time_point::max()),
      commit_timer_(strand_),
      jitter_rng_(std::random_device{}()) {
    if (options_.max_in_flight_per_group == 0) options_.max_in_flight_per_group = 1;
    if (options_.max_buffered == 0) options_.max_buffered = 1;
    report_.emplace(metrics_, log_, topic_, group_);
    rebalances_ = &metrics_.get_counter("kafka_consumer_rebalances_total",
                                        "Partition assignments and revocations this consumer went through.",
                                        {{"topic", topic_}, {"group", group_}});
    depth_ = &detail::queue_depth_gauge(metrics_, topic_);

    conf_ptr conf = make_conf(consumer_defaults(options_), options_.properties, client_side::consumer,
                              consumer_enforced(group_));
    route_callbacks(conf.get(), this, client_side::consumer);
    rk_ = create_handle(RD_KAFKA_CONSUMER, std::move(conf));
    // One queue carries messages, callbacks and logs; it is the one the waker watches.
    rd_kafka_poll_set_consumer(rk_);
    consumer_queue_.reset(rd_kafka_queue_get_consumer(rk_));
    waker_ = std::make_unique<queue_waker>(strand_, consumer_queue_.get());
}

consumer::~consumer() {
    waker_.reset();
    consumer_queue_.reset();
    if (started_ && !assigned_once_ && destroy_aborts_before_first_assignment()) {
        // librdkafka before 2.3.0 (#4312) asserts in rd_kafka_destroy() when the member's JoinGroup answer
        // arrived (choosing the sticky assignor) but no SyncGroup completed: the assignor state is still
        // NULL. A replica stopped while its groups rebalance (e.g. waiting for a dead member to time out)
        // is in exactly that state. So keep the handle until process exit instead: after close() it is
        // only memory and idle threads, and its callbacks cannot reach this freed object because every one
        // is served by our polls (log.queue=true). A consumer that was not closed (a bus destroyed without
        // stop()) leaves its group first, so that a parked member never holds up a rebalance.
        if (!closed_cleanly_) rd_kafka_unsubscribe(rk_);
        log_.info(
            "kafka consumer never got an assignment; leaving its handle to process exit (librdkafka #4312)",
            {{"topic", topic_}, {"group", group_}});
        park_handle(rk_);
        return;
    }
    // A consumer that did not leave its group cleanly must not run the blocking close (and its rebalance
    // callbacks) here; the group notices its absence after session.timeout.ms.
    if (closed_cleanly_)
        rd_kafka_destroy(rk_);
    else
        rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

void consumer::start() {
    if (started_ || stopping_) return;
    started_ = true;
    auto topics = single_partition(topic_, RD_KAFKA_PARTITION_UA);
    if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get()))
        throw std::runtime_error("kafka subscribe to " + topic_ + " failed: " + rd_kafka_err2str(err));
    asio::co_spawn(strand_, poll_loop(shared_from_this()), [log = log_](std::exception_ptr e) {
        if (e) log.error("kafka consumer poll loop ended with an exception");
    });
}

void consumer::begin_stop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, p] : partitions_) {
        drop_queued(*p);
        p->backoff.cancel();
    }
    slot_free_.cancel();
    if (!started_) {
        closed_ = true;
        closed_signal_.cancel();
        return;
    }
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    if (rd_kafka_assignment(rk_, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_pause_partitions(rk_, assignment);
        rd_kafka_topic_partition_list_destroy(assignment);
    }
    waker_->cancel();
}

asio::awaitable<void> consumer::wait_closed() {
    while (!closed_) {
        boost::system::error_code ec;
        co_await closed_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> consumer::poll_loop(std::shared_ptr<consumer> self) {
    for (;;) {
        const bool drained = serve_queue();
        if (stopping_ && live_workers_ == 0) break;
        if (!drained) {
            co_await asio::post(strand_, asio::use_awaitable);  // let handlers run between batches
            continue;
        }
        co_await waker_->wait(idle_poll);
    }
    commit_now();
    co_await close();
    closed_ = true;
    commit_timer_.cancel();
    closed_signal_.cancel();
}

bool consumer::serve_queue() {
    for (int i = 0; i < poll_budget; ++i) {
        rd_kafka_message_t* record = rd_kafka_consumer_poll(rk_, 0);
        if (record == nullptr) return true;
        accept(*record);
        rd_kafka_message_destroy(record);
    }
    return false;
}

void consumer::accept(const rd_kafka_message_t& record) {
    if (record.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (record.err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            log_.warn("kafka consumer error",
                      {{"topic", topic_}, {"group", group_}, {"error", rd_kafka_message_errstr(&record)}});
        return;
    }
    if (stopping_) return;
    auto it = partitions_.find(record.partition);
    // Left over from before a revocation: the partition's new owner reads it from the committed offset.
    if (it == partitions_.end() || !it->second->assigned) return;
    partition_state& p = *it->second;
    p.queue.push_back({to_bus_message(record), record.offset});
    ++buffered_;
    depth_->add(1);
    if (!p.paused && p.queue.size() >= options_.max_buffered) set_paused(p, true);
    if (!p.worker_running) {
        p.worker_running = true;
        ++live_workers_;
        asio::co_spawn(strand_, work(shared_from_this(), &p), [log = log_](std::exception_ptr e) {
            if (e) log.error("kafka partition worker ended with an exception");
        });
    }
}

consumer::partition_state& consumer::partition(std::int32_t id) {
    auto& slot = partitions_[id];
    if (!slot) slot = std::make_unique<partition_state>(strand_, id);
    return *slot;
}

void consumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    rebalances_->inc();
    const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk_)) == "COOPERATIVE";
    std::string ids;
    for (int i = 0; i < parts->cnt; ++i) ids += (i ? "," : "") + std::to_string(parts->elems[i].partition);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assigned_once_ = true;
        for (int i = 0; i < parts->cnt; ++i) {
            partition_state& p = partition(parts->elems[i].partition);
            p.assigned = true;
            ++p.epoch;
            if (p.lag == nullptr)
                p.lag = &metrics_.get_gauge(
                    "kafka_consumer_lag", "Messages between the committed offset and the partition's end.",
                    {{"topic", topic_}, {"partition", std::to_string(p.id)}, {"group", group_}});
        }
        if (cooperative) {
            if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, parts)) {
                log_.error("kafka incremental assign failed", {{"error", rd_kafka_error_string(e)}});
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk_, parts);
        }
        if (stopping_) rd_kafka_pause_partitions(rk_, parts);
        log_.info("kafka partitions assigned", {{"topic", topic_}, {"group", group_}, {"partitions", ids}});
        return;
    }
    const bool revoking = err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS;
    if (!revoking) log_.error("kafka rebalance error", {{"group", group_}, {"error", rd_kafka_err2str(err)}});
    for (int i = 0; i < parts->cnt; ++i) revoke(partition(parts->elems[i].partition));
    // Still assigned until the unassign below: commit what is done so the next owner starts after it.
    if (revoking && !rd_kafka_assignment_lost(rk_)) commit_now();
    if (revoking && cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, parts)) {
            log_.error("kafka incremental unassign failed", {{"error", rd_kafka_error_string(e)}});
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk_, nullptr);
    }
    log_.info("kafka partitions revoked", {{"topic", topic_}, {"group", group_}, {"partitions", ids}});
}

void consumer::revoke(partition_state& p) {
    p.assigned = false;
    ++p.epoch;
    drop_queued(p);
    p.backoff.cancel();
    // A pause outlives the assignment in librdkafka: lift it so a later assignment starts fetching.
    if (p.paused) set_paused(p, false);
    if (p.lag != nullptr) p.lag->set(0);
}

void consumer::drop_queued(partition_state& p) {
    const auto n = p.queue.size();
    p.queue.clear();
    buffered_ -= n;
    depth_->add(-static_cast<std::int64_t>(n));
}

void consumer::set_paused(partition_state& p, bool paused) {
    auto list = single_partition(topic_, p.id);
    const rd_kafka_resp_err_t err =
        paused ? rd_kafka_pause_partitions(rk_, list.get()) : rd_kafka_resume_partitions(rk_, list.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        log_.warn("kafka pause/resume failed", {{"topic", topic_}, {"error", rd_kafka_err2str(err)}});
    p.paused = paused;
}

void consumer::store_offset(const partition_state& p, std::int64_t next_offset) {
    auto list = single_partition(topic_, p.id, next_offset);
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_, list.get());
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Revoked meanwhile: the message will be redelivered to the partition's next owner.
        log_.debug("kafka offset not stored", {{"topic", topic_}, {"error", rd_kafka_err2str(err)}});
        return;
    }
    commit_dirty_ = true;
    schedule_commit();
}

void consumer::schedule_commit() {
    if (commit_armed_ || closed_) return;
    commit_armed_ = true;
    commit_timer_.expires_after(options_.commit_interval);
    commit_timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
        self->commit_armed_ = false;
        self->commit_now();
    });
}

void consumer::commit_now() {
    if (!commit_dirty_ || closed_ || !started_) return;
    commit_dirty_ = false;
    // Asynchronous: the result comes back through on_commit; nothing waits on the broker here.
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk_, nullptr, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        log_.warn("kafka commit failed", {{"group", group_}, {"error", rd_kafka_err2str(err)}});
}

void consumer::on_commit(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t*) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    // These come with every rebalance; the retry (or the next owner) takes care of them.
    const bool rebalancing = err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
                             err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
                             err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID;
    log_.log(rebalancing ? core::log_level::debug : core::log_level::warn,
             "kafka offset commit failed; retrying", {{"group", group_}, {"error", rd_kafka_err2str(err)}});
    // The stored offsets are still there; the next commit carries them.
    commit_dirty_ = true;
    schedule_commit();
}

void consumer::on_log(int level, const char* facility, const char* text) {
    forward_log(log_, level, facility, text);
}

void consumer::on_error(rd_kafka_resp_err_t err, const char* reason) {
    log_.warn("kafka consumer error",
              {{"group", group_}, {"error", rd_kafka_err2str(err)}, {"reason", reason}});
}

void consumer::on_stats(std::string_view json) {
    const auto stats = parse_stats(json, topic_);
    if (!stats) return;
    for (const auto& [id, lag] : stats->consumer_lag) {
        auto it = partitions_.find(id);
        if (it != partitions_.end() && it->second->assigned && it->second->lag != nullptr)
            it->second->lag->set(lag);
    }
}

asio::awaitable<void> consumer::close() {
    // rd_kafka_consumer_close() would block; the queue variant redirects the group's events (the final
    // revocation included) to a queue we serve here like any other, until librdkafka reports closed.
    queue_ptr close_queue(rd_kafka_queue_new(rk_));
    auto waker = std::make_unique<queue_waker>(strand_, close_queue.get());
    if (rd_kafka_error_t* e = rd_kafka_consumer_close_queue(rk_, close_queue.get())) {
        log_.error("kafka consumer close failed", {{"group", group_}, {"error", rd_kafka_error_string(e)}});
        rd_kafka_error_destroy(e);
        co_return;
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.close_timeout;
    for (;;) {
        while (rd_kafka_event_t* ev = rd_kafka_queue_poll(close_queue.get(), 0)) {
            switch (rd_kafka_event_type(ev)) {
                case RD_KAFKA_EVENT_REBALANCE:
                    on_rebalance(rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev));
                    break;
                case RD_KAFKA_EVENT_ERROR:
                    on_error(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
                    break;
                case RD_KAFKA_EVENT_LOG: {
                    const char* facility = nullptr;
                    const char* text = nullptr;
                    int level = 0;
                    if (rd_kafka_event_log(ev, &facility, &text, &level) == 0) on_log(level, facility, text);
                    break;
                }
                default:
                    break;  // fetched messages, commit results, stats: nothing to do while closing
            }
            rd_kafka_event_destroy(ev);
        }
        if (rd_kafka_consumer_closed(rk_)) {
            closed_cleanly_ = true;
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            log_.warn("kafka consumer did not close in time; abandoning it", {{"group", group_}});
            break;
        }
        co_await waker->wait(100ms);
    }
}

}  // namespace prequal::bus::kafka
