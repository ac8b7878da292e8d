// The stdin command language of prequal-kafka-mock: one line in, one `OK ...` / `ERR ...` line out.
#pragma once

#include "mock_cluster.hpp"

#include <string>

namespace prequal::kafka_fixture {

/// What executing one command line produced.
struct command_result {
    std::string reply;  ///< one line, without the newline: "OK ..." or "ERR <reason>"
    bool quit = false;  ///< the command asked the fixture to exit
};

/// Executes one command line against the cluster. Never throws for bad input: that is an ERR reply.
command_result execute_command(mock_cluster& cluster, const std::string& line);

}  // namespace prequal::kafka_fixture
