// The prequal-kafka-mock program as a child process: its bootstrap servers and its stdin command channel
// (down N / up N / leader T P B ...), for tests that run the real binary against a mock Kafka cluster.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace prequal::test {

class kafka_cluster_process {
public:
    /// Starts the fixture (PREQUAL_KAFKA_MOCK_PATH, or $PREQUAL_KAFKA_MOCK) with `brokers` brokers and the
    /// four prequal topics of `partitions` partitions; REQUIREs its BOOTSTRAP line within 30 s.
    kafka_cluster_process(int brokers, int partitions);
    ~kafka_cluster_process();
    kafka_cluster_process(const kafka_cluster_process&) = delete;
    kafka_cluster_process& operator=(const kafka_cluster_process&) = delete;

    /// bootstrap.servers of the cluster (HOST:PORT,...).
    const std::string& bootstrap() const { return bootstrap_; }

    /// Sends one command line; returns the fixture's one-line reply ("OK ..." / "ERR ...").
    std::string command(const std::string& line);

private:
    std::string read_line();

    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    std::string buffer_;
    std::string bootstrap_;
};

}  // namespace prequal::test
