// The Kafka test environment: shared mock cluster, tuned options, the topic-creating decorator.
#include "kafka_test_env.hpp"

#include <boost/asio/this_coro.hpp>

#include <cstdlib>
#include <string_view>
#include <utility>

namespace prequal::bus::testing {

namespace asio = boost::asio;

namespace {

class null_sink final : public core::log_sink {
public:
    void write_line(std::string_view) override {}
};

class topic_creating_bus final : public message_bus {
public:
    topic_creating_bus(test::kafka_mock& mock, std::unique_ptr<message_bus> inner, int partitions)
        : mock_(mock), inner_(std::move(inner)), partitions_(partitions) {}

    asio::awaitable<void> publish(message msg) override {
        mock_.create_topic(msg.topic, partitions_);
        co_await inner_->publish(std::move(msg));
    }
    void subscribe(std::string topic, std::string group, handler h) override {
        mock_.create_topic(topic, partitions_);
        mock_.create_topic(dlq_topic(topic), partitions_);
        inner_->subscribe(std::move(topic), std::move(group), std::move(h));
    }
    asio::awaitable<void> run() override { return inner_->run(); }
    void stop() override { inner_->stop(); }
    bool durable() const override { return inner_->durable(); }
    bool healthy() const override { return inner_->healthy(); }
    std::size_t pending() const override { return inner_->pending(); }

private:
    test::kafka_mock& mock_;
    std::unique_ptr<message_bus> inner_;
    int partitions_;
};

}  // namespace

test::kafka_mock& shared_mock() {
    static test::kafka_mock mock(3);
    return mock;
}

core::logger quiet_logger() {
    // PREQUAL_TEST_KAFKA_LOG=1 shows the bus's (and librdkafka's) log on stderr when a case needs debugging.
    if (const char* v = std::getenv("PREQUAL_TEST_KAFKA_LOG"); v != nullptr && std::string_view(v) == "1")
        return core::logger("bus", core::log_level::debug);
    return core::logger("bus", core::log_level::error, std::make_shared<null_sink>());
}

kafka_bus_options test_options(const test::kafka_mock& mock) {
    kafka_bus_options o;
    o.brokers = mock.bootstrap_servers();
    o.properties = test::kafka_mock::fast_client_properties();
    o.retry = {5, std::chrono::milliseconds(1), std::chrono::milliseconds(5)};
    o.commit_interval = std::chrono::milliseconds(50);
    o.stats_interval = std::chrono::milliseconds(100);
    o.delivery_timeout = std::chrono::milliseconds(20000);
    o.flush_timeout = std::chrono::milliseconds(5000);
    o.close_timeout = std::chrono::milliseconds(10000);
    return o;
}

std::unique_ptr<message_bus> with_topics(test::kafka_mock& mock, std::unique_ptr<message_bus> inner,
                                         int partitions) {
    return std::make_unique<topic_creating_bus>(mock, std::move(inner), partitions);
}

std::unique_ptr<message_bus> make_test_bus(test::kafka_mock& mock, asio::any_io_executor ex,
                                           kafka_bus_options options, core::metrics_registry& metrics,
                                           int partitions) {
    return with_topics(mock, make_kafka_bus(std::move(ex), std::move(options), quiet_logger(), metrics),
                       partitions);
}

bus_contract_env kafka_env() {
    return {[](asio::any_io_executor ex, const bus_test_options& o, core::metrics_registry& metrics) {
                test::kafka_mock& mock = shared_mock();
                kafka_bus_options k = test_options(mock);
                k.retry = o.retry;
                k.max_in_flight_per_group = o.partitions;
                return make_test_bus(mock, std::move(ex), std::move(k), metrics);
            },
            std::chrono::seconds(25)};
}

asio::awaitable<bool> wait_until(std::function<bool()> condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) co_return false;
        co_await sleep_for(std::chrono::milliseconds(10));
    }
    co_return true;
}

}  // namespace prequal::bus::testing
