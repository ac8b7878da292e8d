// Owner of a librdkafka mock cluster and of the client handle librdkafka needs to host it.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

namespace prequal::kafka_fixture {

/// N in-process brokers (ids 1..N) listening on 127.0.0.1, alive as long as this object.
/// The rd_kafka_mock_* calls it exposes are safe from any thread (they hand work to the mock's own thread).
class mock_cluster {
public:
    /// Starts the brokers; throws std::runtime_error with librdkafka's reason when that fails.
    explicit mock_cluster(int brokers);
    ~mock_cluster();
    mock_cluster(const mock_cluster&) = delete;
    mock_cluster& operator=(const mock_cluster&) = delete;

    /// "127.0.0.1:PORT,..." — the bootstrap.servers value clients use.
    std::string bootstraps() const;
    /// Number of brokers; valid ids are 1..broker_count().
    int broker_count() const { return brokers_; }
    /// Replication factor used for every topic: min(brokers, 3).
    int replication_factor() const { return brokers_ < 3 ? brokers_ : 3; }
    /// Creates a topic (an existing one is an error from the mock); returns the mock's error code.
    rd_kafka_resp_err_t create_topic(const std::string& topic, int partitions);
    /// The raw mock handle, for the rd_kafka_mock_* calls the command interpreter makes.
    rd_kafka_mock_cluster_t* get() const { return mcluster_; }

private:
    int brokers_;
    rd_kafka_t* rk_ = nullptr;
    rd_kafka_mock_cluster_t* mcluster_ = nullptr;
};

}  // namespace prequal::kafka_fixture
