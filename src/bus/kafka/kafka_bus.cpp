// The public face of the Kafka bus: owns the producer and the consumers, hops every call onto the bus
// strand, and runs the shutdown order stop consuming → finish handlers → commit → close → flush.
#include "kafka_consumer.hpp"
#include "kafka_producer.hpp"

#include <prequal/bus/kafka_bus.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <stdexcept>
#include <utility>
#include <vector>

namespace prequal::bus {

namespace asio = boost::asio;

namespace {

/// Everything the bus owns, shared with the coroutines it spawns so they stay valid if the bus object goes
/// first. Unless noted, members are touched only on `strand`.
struct kafka_bus_state : std::enable_shared_from_this<kafka_bus_state> {
    kafka_bus_state(const asio::any_io_executor& ex, kafka_bus_options opts, core::logger logger,
                    core::metrics_registry& registry)
        : strand(asio::make_strand(ex)),
          options(std::move(opts)),
          log(std::move(logger)),
          metrics(registry),
          finished_signal(strand, asio::steady_timer::time_point::max()) {}

    asio::strand<asio::any_io_executor> strand;
    kafka_bus_options options;
    core::logger log;
    core::metrics_registry& metrics;
    std::shared_ptr<kafka::producer> producer;  // set once in the factory, before any sharing
    std::vector<std::shared_ptr<kafka::consumer>> consumers;
    bool halting = false;
    bool finished = false;
    asio::steady_timer finished_signal;

    std::atomic<bool> stop_requested{false};  // any thread
    std::atomic<bool> started{false};         // any thread
    std::atomic<std::size_t> buffered{0};     // any thread

    void halt() {
        stop_requested = true;
        if (halting) return;
        halting = true;
        for (auto& c : consumers) c->begin_stop();
        asio::co_spawn(strand, shutdown(shared_from_this()),
                       [self = shared_from_this()](std::exception_ptr e) {
                           if (e) self->log.error("kafka bus shutdown ended with an exception");
                           self->finished = true;
                           self->finished_signal.cancel();
                       });
    }

    static asio::awaitable<void> shutdown(std::shared_ptr<kafka_bus_state> self) {
        // Consumers first: their last handlers may still dead-letter through the producer.
        for (auto& c : self->consumers) co_await c->wait_closed();
        co_await self->producer->shutdown();
        self->log.info("kafka bus stopped");
    }

    static asio::awaitable<void> run(std::shared_ptr<kafka_bus_state> self) {
        if (self->started.exchange(true)) throw std::logic_error("kafka bus: run() called twice");
        // Cancelling run() means "stop", but it still waits for in-flight handlers, like stop() does.
        co_await asio::this_coro::throw_if_cancelled(false);
        if (!self->halting)
            for (auto& c : self->consumers) c->start();
        while (!self->finished) {
            boost::system::error_code ec;
            co_await self->finished_signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
                self->halt();
        }
    }
};

class kafka_bus final : public message_bus {
public:
    explicit kafka_bus(std::shared_ptr<kafka_bus_state> state) : state_(std::move(state)) {}

    // stop() throws only when dispatching fails to allocate, and then terminating is the right answer.
    ~kafka_bus() override { stop(); }  // NOLINT(bugprone-exception-escape)
    kafka_bus(const kafka_bus&) = delete;
    kafka_bus& operator=(const kafka_bus&) = delete;

    asio::awaitable<void> publish(message msg) override {
        if (state_->stop_requested)
            throw boost::system::system_error(asio::error::shut_down, "message bus stopped");
        co_await asio::co_spawn(state_->strand, state_->producer->produce(std::move(msg)),
                                asio::use_awaitable);
    }

    void subscribe(std::string topic, std::string group, handler h) override {
        if (!h) throw std::invalid_argument("kafka bus: empty handler for topic " + topic);
        if (topic.empty() || group.empty()) throw std::invalid_argument("kafka bus: empty topic or group");
        if (state_->started)
            throw std::logic_error("kafka bus: subscribe() after run() (topic " + topic + ")");
        for (const auto& c : state_->consumers)
            if (c->topic() == topic && c->group() == group)
                throw std::logic_error(std::string("kafka bus: group ")
                                           .append(group)
                                           .append(" already subscribed to ")
                                           .append(topic));
        state_->consumers.push_back(std::make_shared<kafka::consumer>(
            state_->strand, state_->options, std::move(topic), std::move(group), std::move(h),
            state_->producer, state_->log, state_->metrics, state_->buffered));
    }

    asio::awaitable<void> run() override {
        co_await asio::co_spawn(state_->strand, kafka_bus_state::run(state_), asio::use_awaitable);
    }

    void stop() override {
        state_->stop_requested = true;
        // Inline when called from a handler (already on the strand), so nothing more is delivered after.
        asio::dispatch(state_->strand, [s = state_] { s->halt(); });
    }

    bool durable() const override { return true; }
    bool healthy() const override { return !state_->stop_requested && state_->producer->reachable(); }
    std::size_t pending() const override { return state_->producer->in_flight() + state_->buffered; }

private:
    std::shared_ptr<kafka_bus_state> state_;
};

}  // namespace

std::unique_ptr<message_bus> make_kafka_bus(asio::any_io_executor ex, kafka_bus_options options,
                                            core::logger log, core::metrics_registry& metrics) {
    if (options.brokers.empty()) throw std::invalid_argument("kafka bus: no brokers configured");
    auto state = std::make_shared<kafka_bus_state>(ex, std::move(options), std::move(log), metrics);
    state->producer = std::make_shared<kafka::producer>(state->strand, state->options, state->log, metrics);
    state->producer->start();
    return std::make_unique<kafka_bus>(std::move(state));
}

}  // namespace prequal::bus
