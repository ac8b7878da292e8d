// mock_cluster: a producer handle that never produces, used only as the mock cluster's host.
#include "mock_cluster.hpp"

#include <stdexcept>
#include <utility>

namespace prequal::kafka_fixture {

mock_cluster::mock_cluster(int brokers) : brokers_{brokers} {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // No bootstrap.servers: this handle never connects anywhere, it only owns the mock's lifetime. Its
    // log level hides the notice librdkafka prints about that (warnings and errors still show).
    for (const auto& [name, value] :
         {std::pair{"client.id", "prequal-kafka-mock"}, std::pair{"log_level", "4"}}) {
        if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error(std::string{"librdkafka configuration: "} + err);
        }
    }
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk_ == nullptr) {
        rd_kafka_conf_destroy(conf);  // rd_kafka_new only takes ownership on success
        throw std::runtime_error(std::string{"rd_kafka_new: "} + err);
    }
    mcluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
    if (mcluster_ == nullptr) {
        rd_kafka_destroy(rk_);
        throw std::runtime_error("rd_kafka_mock_cluster_new failed (see librdkafka's log above)");
    }
}

mock_cluster::~mock_cluster() {
    // The cluster refers to rk_ for bookkeeping, so it goes first.
    rd_kafka_mock_cluster_destroy(mcluster_);
    rd_kafka_destroy(rk_);
}

std::string mock_cluster::bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mcluster_); }

rd_kafka_resp_err_t mock_cluster::create_topic(const std::string& topic, int partitions) {
    return rd_kafka_mock_topic_create(mcluster_, topic.c_str(), partitions, replication_factor());
}

}  // namespace prequal::kafka_fixture
