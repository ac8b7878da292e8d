// The few facts the bus reads from librdkafka's statistics JSON (statistics.interval.ms): whether any broker
// connection is up, and the consumer lag of each partition of a topic.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::bus::kafka {

struct stats_summary {
    int brokers_up = 0;  // real brokers (not librdkafka's internal one) in state UP
    std::vector<std::pair<std::int32_t, std::int64_t>> consumer_lag;  // (partition, lag) where known (>= 0)
};

/// Parses `json`; the lag list covers `topic` only (empty `topic`: no lags). Nothing for malformed input.
std::optional<stats_summary> parse_stats(std::string_view json, std::string_view topic);

}  // namespace prequal::bus::kafka
