// The producer: non-blocking produce, delivery reports completing awaiting publishers, a poll loop woken by
// queue I/O events, and a bounded flush at shutdown.
#include "kafka_producer.hpp"

#include "../delivery_report.hpp"
#include "kafka_stats.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <stdexcept>

namespace prequal::bus::kafka {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void> park(asio::steady_timer& t) {
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

struct count_guard {
    explicit count_guard(std::atomic<std::size_t>& c) : c_(c) { ++c_; }
    ~count_guard() { --c_; }
    count_guard(const count_guard&) = delete;
    count_guard& operator=(const count_guard&) = delete;
    std::atomic<std::size_t>& c_;
};

struct waiter_guard {
    explicit waiter_guard(std::size_t& c) : c_(c) { ++c_; }
    ~waiter_guard() { --c_; }
    waiter_guard(const waiter_guard&) = delete;
    waiter_guard& operator=(const waiter_guard&) = delete;
    std::size_t& c_;
};

[[noreturn]] void throw_shut_down() {
    throw boost::system::system_error(asio::error::shut_down, "message bus stopped");
}

property_list producer_defaults(const kafka_bus_options& o) {
    return {{"bootstrap.servers", o.brokers},
            {"client.id", o.client_id},
            {"acks", "all"},
            {"enable.idempotence", "true"},
            {"compression.type", "lz4"},
            {"linger.ms", "5"},
            {"message.timeout.ms", std::to_string(o.delivery_timeout.count())},
            {"statistics.interval.ms", std::to_string(o.stats_interval.count())}};
}

}  // namespace

producer::delivery::delivery(const asio::any_io_executor& ex)
    : signal(ex, asio::steady_timer::time_point::max()) {}

producer::producer(asio::any_io_executor strand, kafka_bus_options options, core::logger log,
                   core::metrics_registry& metrics)
    : strand_(std::move(strand)),
      options_(std::move(options)),
      log_(std::move(log)),
      metrics_(metrics),
      space_(strand_, asio::steady_timer::time_point::max()),
      loop_finished_(strand_, asio::steady_timer::time_point::max()) {
    conf_ptr conf = make_conf(producer_defaults(options_), options_.properties, client_side::producer);
    route_callbacks(conf.get(), this, client_side::producer);
    rk_ = create_handle(RD_KAFKA_PRODUCER, std::move(conf));
    main_queue_.reset(rd_kafka_queue_get_main(rk_));
    waker_ = std::make_unique<queue_waker>(strand_, main_queue_.get());
}

producer::~producer() {
    // The queue reference must go before the handle; the pipe only after events are disabled (the waker).
    waker_.reset();
    main_queue_.reset();
    rd_kafka_destroy(rk_);
}

void producer::start() {
    asio::co_spawn(strand_, poll_loop(shared_from_this()), [log = log_](std::exception_ptr e) {
        if (e) log.error("kafka producer poll loop ended with an exception");
    });
}

asio::awaitable<void> producer::produce(message msg) {
    // The frame touches members after its last suspension; the bus may be gone by then.
    const auto self = shared_from_this();
    if (closing_) throw_shut_down();
    auto d = std::make_shared<delivery>(strand_);
    const std::uint64_t id = next_id_++;
    topic_counters& counters = counters_for(msg.topic);
    for (;;) {
        rd_kafka_headers_t* headers = to_kafka_headers(msg.headers);
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            rk_, RD_KAFKA_V_TOPIC(msg.topic.c_str()), RD_KAFKA_V_KEY(msg.key.data(), msg.key.size()),
            RD_KAFKA_V_VALUE(msg.payload.data(), msg.payload.size()), RD_KAFKA_V_HEADERS(headers),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            // NOLINTNEXTLINE(performance-no-int-to-ptr): an id librdkafka hands back, never dereferenced.
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(id))), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;  // librdkafka owns the headers now
        rd_kafka_headers_destroy(headers);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            counters.failed->inc();
            throw std::runtime_error("kafka publish to " + msg.topic + " failed: " + rd_kafka_err2str(err));
        }
        // librdkafka's local queue is full: wait for delivery reports to make room, then try again.
        waiter_guard waiting(space_waiters_);
        co_await park(space_);
        if (closing_) throw_shut_down();
    }
    outstanding_.emplace(id, d);
    count_guard flying(in_flight_);
    while (!d->done) {
        co_await park(d->signal);
        if (!d->done &&
            (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
            throw boost::system::system_error(asio::error::operation_aborted, "kafka publish cancelled");
    }
    if (!d->error.empty())
        throw std::runtime_error("kafka delivery to " + msg.topic + " failed: " + d->error);
}

void producer::on_delivery(const rd_kafka_message_t& record) {
    const auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(record._private));
    const std::string topic = rd_kafka_topic_name(record.rkt);
    if (record.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        reachable_ = true;
        counters_for(topic).published->inc();
    } else {
        counters_for(topic).failed->inc();
        log_.warn("kafka delivery failed", {{"topic", topic}, {"error", rd_kafka_err2str(record.err)}});
    }
    if (space_waiters_ > 0) space_.cancel();
    auto it = outstanding_.find(id);
    if (it == outstanding_.end()) return;
    delivery& d = *it->second;
    d.done = true;
    if (record.err != RD_KAFKA_RESP_ERR_NO_ERROR) d.error = rd_kafka_err2str(record.err);
    d.signal.cancel();
    outstanding_.erase(it);
}

void producer::on_log(int level, const char* facility, const char* text) {
    forward_log(log_, level, facility, text);
}

void producer::on_error(rd_kafka_resp_err_t err, const char* reason) {
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) reachable_ = false;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        // E.g. the idempotence guarantee broke: librdkafka fails every later message; /ready says so.
        std::array<char, 512> detail{};
        rd_kafka_fatal_error(rk_, detail.data(), detail.size());
        fatal_ = true;
        log_.error("kafka producer fatal error", {{"error", detail.data()}});
        return;
    }
    log_.warn("kafka producer error", {{"error", rd_kafka_err2str(err)}, {"reason", reason}});
}

void producer::on_stats(std::string_view json) {
    if (auto s = parse_stats(json, {}); s && s->brokers_up > 0) reachable_ = true;
}

bool producer::serve_events() {
    for (int i = 0; i < 64; ++i)
        if (rd_kafka_poll(rk_, 0) == 0) return true;
    return false;
}

asio::awaitable<void> producer::poll_loop(std::shared_ptr<producer> self) {
    for (;;) {
        const bool drained = serve_events();
        if (closing_ && (rd_kafka_outq_len(rk_) == 0 || std::chrono::steady_clock::now() >= flush_deadline_))
            break;
        if (!drained) {
            co_await asio::post(strand_, asio::use_awaitable);  // let handlers run between batches
            continue;
        }
        // The out-queue also counts requests in flight, which raise no event when they finish: look often.
        co_await waker_->wait(closing_ ? 20ms : 1000ms);
    }
    if (rd_kafka_outq_len(rk_) > 0) {
        log_.warn("kafka producer: deliveries still outstanding at the flush deadline; purging them",
                  {{"messages", std::to_string(rd_kafka_outq_len(rk_))}});
        rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        serve_events();
    }
    fail_outstanding("producer closed before the broker acknowledged the message");
    loop_done_ = true;
    loop_finished_.cancel();
}

asio::awaitable<void> producer::shutdown() {
    if (!closing_) {
        closing_ = true;
        flush_deadline_ = std::chrono::steady_clock::now() + options_.flush_timeout;
        space_.cancel();
        waker_->cancel();
    }
    while (!loop_done_) co_await park(loop_finished_);
}

void producer::fail_outstanding(const std::string& reason) {
    for (auto& [id, d] : outstanding_) {
        d->done = true;
        d->error = reason;
        d->signal.cancel();
    }
    outstanding_.clear();
}

producer::topic_counters& producer::counters_for(const std::string& topic) {
    auto it = counters_.find(topic);
    if (it != counters_.end()) return it->second;
    topic_counters c;
    c.published = &detail::published_counter(metrics_, topic);
    c.failed = &metrics_.get_counter("bus_publish_failures_total",
                                     "Publishes that failed (Kafka: no successful delivery report).",
                                     {{"topic", topic}});
    return counters_.emplace(topic, c).first->second;
}

}  // namespace prequal::bus::kafka
