// The public face of the in-memory bus: hops every call onto the bus strand, where the state lives.
#include "memory_bus_state.hpp"

#include <prequal/bus/memory_bus.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <stdexcept>
#include <utility>

namespace prequal::bus {

namespace asio = boost::asio;

namespace {

class memory_bus final : public message_bus {
public:
    memory_bus(asio::any_io_executor ex, memory_bus_options options, core::logger log,
               core::metrics_registry& metrics)
        : state_(std::make_shared<detail::bus_state>(std::move(ex), std::move(options), std::move(log),
                                                     metrics)) {}

    // Consumers hold the state, so they may finish after this object is gone. stop() throws only when
    // dispatching fails to allocate, and then terminating is the right answer.
    ~memory_bus() override { stop(); }  // NOLINT(bugprone-exception-escape)

    memory_bus(const memory_bus&) = delete;
    memory_bus& operator=(const memory_bus&) = delete;

    asio::awaitable<void> publish(message msg) override {
        if (state_->stop_requested)
            throw boost::system::system_error(asio::error::shut_down, "message bus stopped");
        // A hop through co_spawn, not a dispatch: a coroutine always resumes on its own executor, so only a
        // coroutine spawned on the strand runs on it.
        co_await asio::co_spawn(state_->strand, detail::enqueue(state_, std::move(msg)), asio::use_awaitable);
    }

    void subscribe(std::string topic, std::string group, handler h) override {
        if (!h) throw std::invalid_argument("memory bus: empty handler for topic " + topic);
        if (state_->started)
            throw std::logic_error("memory bus: subscribe() after run() (topic " + topic + ")");
        state_->add_group(topic, std::move(group), std::move(h));
    }

    asio::awaitable<void> run() override {
        co_await asio::co_spawn(state_->strand, detail::run_consumers(state_), asio::use_awaitable);
    }

    void stop() override {
        state_->stop_requested = true;
        // Inline when called from a handler (already on the strand), so nothing more is delivered after.
        asio::dispatch(state_->strand, [s = state_] { s->halt(); });
    }

    bool durable() const override { return false; }
    bool healthy() const override { return !state_->stop_requested; }
    std::size_t pending() const override { return state_->queued; }

private:
    std::shared_ptr<detail::bus_state> state_;
};

}  // namespace

std::unique_ptr<message_bus> make_memory_bus(asio::any_io_executor ex, memory_bus_options options,
                                             core::logger log, core::metrics_registry& metrics) {
    return std::make_unique<memory_bus>(std::move(ex), std::move(options), std::move(log), metrics);
}

}  // namespace prequal::bus
