// An in-process Kafka cluster for tests: librdkafka's mock cluster on a dedicated handle, plus blocking
// helpers (create topics, take brokers down, read what landed on a topic, read committed offsets).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace prequal::test {

using kafka_properties = std::vector<std::pair<std::string, std::string>>;

/// One record as stored in the cluster.
struct kafka_record {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;

    /// The first header called `name`, or empty.
    std::string header(std::string_view name) const;
};

class kafka_mock {
public:
    /// Starts a cluster of `brokers` brokers (ids 1..brokers) listening on 127.0.0.1.
    explicit kafka_mock(int brokers = 1);
    ~kafka_mock();
    kafka_mock(const kafka_mock&) = delete;
    kafka_mock& operator=(const kafka_mock&) = delete;

    /// bootstrap.servers for clients of this cluster.
    const std::string& bootstrap_servers() const { return bootstrap_; }

    /// Creates `topic` with `partitions` partitions (replication factor 1) unless it exists. Thread-safe.
    void create_topic(const std::string& topic, int partitions = 4);
    /// Partition count of a topic created here (0 when unknown).
    int partitions_of(const std::string& topic) const;

    /// Closes the broker's connections and refuses new ones / lets it accept again.
    void set_broker_down(int broker_id);
    void set_broker_up(int broker_id);

    /// Blocking: reads `topic` from the beginning until `count` records were seen or `timeout` passed.
    std::vector<kafka_record> read_topic(const std::string& topic, std::size_t count,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    /// Blocking: the committed offset of `group` on (topic, partition); a negative value when none.
    std::int64_t committed_offset(const std::string& group, const std::string& topic,
                                  std::int32_t partition) const;

    /// Blocking: produces one record to (topic, partition) — partition -1 lets the partitioner choose —
    /// and waits for its delivery. Throws std::runtime_error when it fails.
    void produce(const std::string& topic, std::int32_t partition, const std::string& key,
                 const std::string& value,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

    /// Client properties that make group rebalances and reconnects quick against the mock cluster.
    static kafka_properties fast_client_properties();

private:
    rd_kafka_s* rk_ = nullptr;
    rd_kafka_mock_cluster_s* cluster_ = nullptr;
    std::string bootstrap_;
    mutable std::mutex mutex_;
    std::map<std::string, int> topics_;
};

}  // namespace prequal::test
