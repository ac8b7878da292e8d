// Command-line options of prequal-kafka-mock: cluster size, topics to pre-create, where to publish the
// bootstrap list.
#pragma once

#include <prequal/events/topics.hpp>

#include <string>
#include <vector>

namespace prequal::kafka_fixture {

/// The project's topics, created on start unless --topics says otherwise.
inline const std::vector<std::string> default_topics{
    std::string(events::submitted_topic), std::string(events::credit_reports_topic),
    std::string(events::decided_topic), std::string(events::submitted_dlq_topic),
    std::string(events::credit_reports_dlq_topic)};

struct fixture_options {
    int brokers = 3;
    int partitions = 6;
    std::vector<std::string> topics = default_topics;
    std::string port_file;
    bool read_stdin = true;
    bool help = false;
};

/// Usage text printed by --help.
extern const char* const usage_text;

/// Parses argv ("--name value" or "--name=value"); throws std::invalid_argument naming the bad option.
fixture_options parse_options(int argc, const char* const* argv);

}  // namespace prequal::kafka_fixture
